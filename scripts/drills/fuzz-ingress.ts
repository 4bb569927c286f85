// Drill "Nothing lost, nothing stuck": signed fuzzed bodies against a real web process.
//
//   node scripts/drills/fuzz-ingress.ts [--requests 100000] [--seed S] [--concurrency 32]
//        [--rss-at 100000,1000000] [--settle-ms 10000] [--max-body-bytes N] [--huge-rate 0.01]
//        [--endpoints hubspot,workflow,salesforce,events,other] [--env KEY=VALUE]... [--keep-keys] [--app-root DIR] [--gc-at-end]
//
// Starts `node src/app/main.ts web` as a child process (its own Redis key prefix, a free port,
// LOG_LEVEL=silent), sends N requests to the four webhook endpoints with bounded concurrency over
// keep-alive connections, most of them VALIDLY SIGNED after mutation (mutated fields, wrong types,
// huge strings up to and over the body limit, lone UTF-16 surrogates as JSON escapes, bad ids), and
// then looks at what was enqueued in Redis under the prefix. The child's RSS (/proc/<pid>/status)
// and heap (/metrics) are read before, at the --rss-at checkpoints, at the end and after a settle
// pause. Progress goes to stderr; one summary line to stdout. Exit 1 on any answer ≥ 500, a crash
// (or a hung request) or a malformed id enqueued; exit 2 on a bad command line or a failed start.
//
// Repeatable: bodies come from a seeded PRNG (--seed, else FUZZ_SEED, else 1). Timestamps and the
// Redis prefix are the only things that vary between runs with the same seed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { BUILT_IN_ACTIVITY_TYPES } from '../../src/core/activity-types.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { signV1, signV2, signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';

// ───────────────────────────── command line ─────────────────────────────

type Endpoint = 'hubspot' | 'workflow' | 'salesforce' | 'events' | 'other';
const ENDPOINTS: readonly Endpoint[] = ['hubspot', 'workflow', 'salesforce', 'events', 'other'];

interface Args {
  requests: number;
  seed: string;
  concurrency: number;
  rssAt: number[];
  settleMs: number;
  maxBodyBytes: number;
  hugeRate: number;
  endpoints: Endpoint[];
  env: Record<string, string>;
  keepKeys: boolean;
  /** Run the web process from another checkout (e.g. an older commit unpacked with git archive). */
  appRoot: string | undefined;
  /** After the settle pause, force a full GC through the inspector and read RSS again. */
  gcAtEnd: boolean;
}

function usage(msg: string): never {
  process.stderr.write(
    `fuzz-ingress: ${msg}\nusage: node scripts/drills/fuzz-ingress.ts [--requests N] [--seed S] [--concurrency C] [--rss-at N,M] [--settle-ms MS] [--max-body-bytes N] [--huge-rate R] [--endpoints a,b] [--env K=V]... [--keep-keys] [--app-root DIR] [--gc-at-end]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    requests: 100_000,
    seed: process.env['FUZZ_SEED'] ?? '1',
    concurrency: 32,
    rssAt: [],
    settleMs: 10_000,
    maxBodyBytes: 1_048_576,
    hugeRate: 0.01,
    endpoints: ['hubspot', 'workflow', 'salesforce', 'events', 'other'],
    env: {},
    keepKeys: false,
    appRoot: undefined,
    gcAtEnd: false,
  };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v?.replace(/_/g, ''));
    if (v === undefined || !Number.isFinite(n) || n < min) usage(`${flag} needs a number ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] =
      flag.includes('=') && flag.startsWith('--') && !flag.startsWith('--env=')
        ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)]
        : [flag, undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--requests':
        a.requests = Math.floor(num(name, value(), 1));
        break;
      case '--seed': {
        const v = value();
        if (v === undefined) usage('--seed needs a value');
        a.seed = v;
        break;
      }
      case '--concurrency':
        a.concurrency = Math.floor(num(name, value(), 1));
        break;
      case '--rss-at': {
        const v = value();
        if (v === undefined) usage('--rss-at needs N[,M…]');
        a.rssAt = v
          .split(',')
          .map((s) => Math.floor(num(name, s, 1)))
          .sort((x, y) => x - y);
        break;
      }
      case '--settle-ms':
        a.settleMs = Math.floor(num(name, value(), 0));
        break;
      case '--max-body-bytes':
        a.maxBodyBytes = Math.floor(num(name, value(), 1));
        break;
      case '--huge-rate':
        a.hugeRate = num(name, value(), 0);
        break;
      case '--endpoints': {
        const v = (value() ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = v.filter((e) => !ENDPOINTS.includes(e as Endpoint));
        if (v.length === 0 || bad.length) usage(`--endpoints takes ${ENDPOINTS.join(',')}`);
        a.endpoints = v as Endpoint[];
        break;
      }
      case '--env':
      case '--env=': {
        const v = flag.startsWith('--env=') ? flag.slice(6) : argv[++i];
        if (!v || !v.includes('=')) usage('--env needs KEY=VALUE');
        a.env[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
        break;
      }
      case '--keep-keys':
        a.keepKeys = true;
        break;
      case '--gc-at-end':
        a.gcAtEnd = true;
        break;
      case '--app-root': {
        const v = value();
        if (!v) usage('--app-root needs a directory');
        a.appRoot = v;
        break;
      }
      case '--help':
      case '-h':
        usage('help');
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  if (a.env['MAX_BODY_BYTES']) a.maxBodyBytes = Number(a.env['MAX_BODY_BYTES']);
  return a;
}

// ───────────────────────────── seeded randomness ─────────────────────────────

/** sfc32 seeded from a string (cyrb128): small, fast, good enough for fuzzing. */
function prng(seed: string): () => number {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  let a = h1 >>> 0,
    b = h2 >>> 0,
    c = h3 >>> 0,
    d = h4 >>> 0;
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: string) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** A value from a shared pool, copied: later mutations must never write into the pool. */
  pickCopy<T>(xs: readonly T[]): T {
    return structuredClone(this.pick(xs));
  }
  alnum(n: number): string {
    const cs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += cs[this.int(cs.length)];
    return s;
  }
  digits(n: number): string {
    let s = String(1 + this.int(9));
    for (let i = 1; i < n; i++) s += String(this.int(10));
    return s;
  }
}

// ───────────────────────────── ids and their validity ─────────────────────────────

const HUBSPOT_SECRET = 'drill-hubspot-client-secret-0001';
const EVENTS_SECRET = 'drill-events-signing-secret-00001';
const SF_TOKEN = 'drill-salesforce-token-000000001';
const SF_ORG = '00D5g000004SxyzEAC';
const OTHER_ORG = '00D000000000001AAA';
const INTEGRATION_USER = '0055g00000IntgAAAA';
const APP_ID = '54321';
const PUBLIC_BASE_URL = 'https://leadstage.example.com';
const PORTALS = ['62515', '62516', '7001', '123456789'];
const ACTIVITY_TYPES: readonly string[] = BUILT_IN_ACTIVITY_TYPES;

const HS_ID = /^\d+$/;
const SF_ID = /^(00Q|003)[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;
const SF_ORG_ID = /^00D[a-zA-Z0-9]{12}$/;

/** The 3-character suffix that makes a 15-character Salesforce id an 18-character one. */
function sfChecksum(id15: string): string {
  const map = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let out = '';
  for (let c = 0; c < 3; c++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15[c * 5 + i]!;
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    out += map[bits];
  }
  return out;
}

/** Why an enqueued contact ref is malformed, or null. objectType null: unknown (activity hashes). */
function malformedRef(crm: string, objectType: string | null, id: string): string | null {
  if (crm === 'hubspot') {
    if (!HS_ID.test(id)) return 'hubspot id not numeric';
    if (objectType !== null && objectType !== 'contact') return `hubspot objectType "${objectType}"`;
    return null;
  }
  if (crm === 'salesforce') {
    if (!SF_ID.test(id)) return 'salesforce id not a 15/18-char 00Q/003 id';
    const expected = id.startsWith('00Q') ? 'lead' : 'contact';
    if (objectType !== null && objectType !== expected)
      return `salesforce objectType "${objectType}" for ${id.slice(0, 3)} id`;
    return null;
  }
  return `unknown crm "${crm}"`;
}

/** Well-formed but odd: worth a look, not a failure. */
function suspiciousRef(crm: string, id: string): string | null {
  if (crm === 'hubspot' && HS_ID.test(id)) {
    if (id.length > 19) return 'hubspot id longer than int64 (>19 digits)';
    if (/^0/.test(id)) return 'hubspot id with leading zero';
  }
  if (crm === 'salesforce' && SF_ID.test(id) && id.length === 18 && sfChecksum(id.slice(0, 15)) !== id.slice(15))
    return 'salesforce 18-char id with a wrong checksum suffix';
  return null;
}

function malformedTenant(crm: string, id: string): string | null {
  if (crm === 'hubspot') return HS_ID.test(id) ? null : 'hubspot portal id not numeric';
  if (crm === 'salesforce') return SF_ORG_ID.test(id) ? null : 'salesforce org id not 00D + 12';
  return `unknown crm "${crm}"`;
}

/** How an id looks once it went through UTF-8 (lone surrogates become U+FFFD), capped for maps. */
function norm(s: string): string {
  return Buffer.from(s.slice(0, 400), 'utf8').toString('utf8').slice(0, 300);
}

function show(s: string, max = 60): string {
  const j = JSON.stringify(s.length > max ? `${s.slice(0, max)}…(${s.length})` : s);
  return j;
}

// ───────────────────────────── the request generator ─────────────────────────────

type J = null | boolean | number | string | J[] | { [k: string]: J };
type JObj = { [k: string]: J };

interface FuzzRequest {
  endpoint: Endpoint;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send without Content-Length (chunked). */
  chunked: boolean;
  /** What was done to it, for attributing failures: "events:id:surrogate" etc. */
  labels: string[];
  /** Ids placed where an id goes: every malformed one, and every Salesforce one (its object type is inferred). For attribution. */
  badIds: { crm: 'hubspot' | 'salesforce'; id: string }[];
}

const HUGE = 'ZZFUZZHUGEZZ';
const RAW = 'ZZFUZZRAWZZ';
const SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800', '\ud83d'];
const WRONG_TYPES: readonly J[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  [],
  {},
  [1, 2],
  { value: '1' },
  '',
  'x',
  'null',
  'undefined',
];
const HS_BAD_IDS: readonly J[] = [
  '',
  ' 123',
  '123 ',
  '12a',
  '-1',
  '1.5',
  '1e5',
  '0x1f',
  '１２３',
  '١٢٣',
  '123\n',
  '\ud800',
  '12\ud83d',
  'null',
  'NaN',
  'Infinity',
  '1,2',
  '../1',
  '*',
  '{hubspot:1}',
  '1}:pending',
  '12\u0000',
  -1,
  1.5,
  1e21,
  2 ** 53 + 2,
  1e308,
  -0,
  [123],
  { value: 123 },
  null,
  true,
];
const HS_ODD_IDS: readonly J[] = ['00042', '0', '9'.repeat(25), 0];
const SF_BAD_WHO = [
  '00Qbad-id',
  '00Q',
  '00Q5g00000Lead',
  '00Q5g00000LeadAAAAX',
  '003-5g00000Cntc',
  '00Q5g000 0LeadAA',
  '00q5g00000LeadAAA',
  '00Q5g00000LéadAA',
  '00Q&#xD800;0000Lead',
  '00Q\ud800',
  '003_5g00000Cntc',
  '00Q5g00000Lead%41',
  '0035g00000Cntc\u0000',
  '00Q5g00000LeadA/..',
  '003${x}',
  '00Q5g00000LeadAAA ',
];
const SF_WRONG_PREFIX = [
  '0015g00000AcctAAA',
  '0055g00000UserAAA',
  '00T5g00000TaskAAA',
  '0065g00000OppyAAA',
  '500000000000001',
];
const PROPERTY_NAMES = [
  'hs_email_last_open_date',
  'hs_email_last_click_date',
  'hs_email_last_reply_date',
  'recent_conversion_date',
  'jobtitle',
  'leadstage_score',
  'lifecyclestage',
  'email',
];
const SUB_TYPES = [
  'contact.creation',
  'contact.propertyChange',
  'contact.propertyChange',
  'contact.propertyChange',
  'contact.deletion',
  'contact.privacyDeletion',
  'contact.merge',
  'contact.restore',
  'contact.associationChange',
  'object.creation',
  'object.associationChange',
  'company.creation',
  'deal.propertyChange',
];
const ENGAGEMENT_TYPES = ['0-48', '0-49', '0-47', '0-18', '0-1', '0-2', '2-123'];

class Generator {
  private readonly r: Rng;
  private readonly maxBody: number;
  private readonly hugeRate: number;
  private readonly endpoints: Endpoint[];
  private bomb: Buffer | undefined;

  constructor(seed: string, maxBody: number, hugeRate: number, endpoints: Endpoint[]) {
    this.r = new Rng(seed);
    this.maxBody = maxBody;
    this.hugeRate = hugeRate;
    this.endpoints = endpoints;
  }

  /** Request number n (0-based). */
  make(n: number): FuzzRequest {
    const r = this.r;
    const weights: Record<Endpoint, number> = { hubspot: 32, workflow: 15, salesforce: 24, events: 27, other: 2 };
    const total = this.endpoints.reduce((s, e) => s + weights[e], 0);
    let x = r.next() * total;
    let endpoint = this.endpoints[0]!;
    for (const e of this.endpoints) {
      x -= weights[e];
      if (x < 0) {
        endpoint = e;
        break;
      }
    }
    switch (endpoint) {
      case 'hubspot':
        return this.hubspot(n);
      case 'workflow':
        return this.workflow(n);
      case 'salesforce':
        return this.salesforce(n);
      case 'events':
        return this.events(n);
      case 'other':
        return this.other(n);
    }
  }

  /** valid 10% · signed and mutated 75% · signature or token trouble 15%. */
  private plan(): { mutate: boolean; authFault: boolean; huge: boolean } {
    const p = this.r.next();
    return { mutate: p >= 0.1 && p < 0.85, authFault: p >= 0.85, huge: this.r.chance(this.hugeRate) };
  }

  /** A target size for a huge body: around, at and over the limit. */
  private hugeSize(): number {
    const m = this.maxBody;
    return Math.max(64, Math.floor(this.r.pick([m * 0.1, m * 0.5, m * 0.9, m - 64, m, m + 1, m * 1.1, m * 2, m * 4])));
  }

  private surrogateIn(s: string): string {
    const at = this.r.int(s.length + 1);
    return s.slice(0, at) + this.r.pick(SURROGATES) + s.slice(at);
  }

  /** Serialize with the huge filler (sized so the whole body is `huge` bytes) and raw-byte sentinels. */
  private materialize(text: string, huge: number | null, labels: string[], format: 'json' | 'xml' = 'json'): Buffer {
    let out = text;
    // JSON: the sentinel is a whole string value ("HUGE"); XML: it is element text.
    const marker = format === 'json' ? `"${HUGE}"` : HUGE;
    const q = format === 'json' ? '"' : '';
    if (huge !== null && out.includes(marker)) {
      const base = Buffer.byteLength(out) - Buffer.byteLength(marker);
      const room = Math.max(0, huge - base - 2 * q.length);
      const kind =
        format === 'json'
          ? this.r.pick(['ascii', 'surrogate-escapes', 'utf8', 'digits', 'escaped-quotes', 'pair-escapes'] as const)
          : this.r.pick(['ascii', 'utf8', 'digits', 'char-refs', 'entities'] as const);
      labels.push(`huge:${kind}:${huge > this.maxBody ? 'over' : 'under'}`);
      const units: Record<string, [string, number]> = {
        ascii: ['a', 1],
        'surrogate-escapes': ['\\ud800', 6],
        utf8: ['é', 2],
        digits: ['7', 1],
        'escaped-quotes': ['\\"', 2],
        'pair-escapes': ['\\ud83d\\ude00', 12],
        'char-refs': ['&#xD800;', 8],
        entities: ['&amp;', 5],
      };
      const unit = units[kind]!;
      const filler = unit[0].repeat(Math.floor(room / unit[1]));
      const i = out.indexOf(marker);
      out = `${out.slice(0, i)}${q}${filler}${q}${out.slice(i + marker.length)}`;
    }
    out = out.split(marker).join(`${q}x${q}`);
    if (!out.includes(RAW)) return Buffer.from(out, 'utf8');
    const parts = out.split(RAW);
    const raw = [
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xff]),
      Buffer.from([0xc0, 0x80]),
      Buffer.from([0x80]),
      Buffer.from([0xf4, 0x90, 0x80, 0x80]),
    ];
    const bufs: Buffer[] = [];
    parts.forEach((p, i) => {
      if (i > 0) bufs.push(this.r.pick(raw));
      bufs.push(Buffer.from(p, 'utf8'));
    });
    return Buffer.concat(bufs);
  }

  /** Byte-level damage after serialization (still signed afterwards). */
  private damage(body: Buffer, labels: string[], kind: 'json' | 'xml'): Buffer {
    const r = this.r;
    const what = r.pick([
      'truncate',
      'flip',
      'insert-byte',
      'bom',
      'trailing',
      'doubled',
      'deep-nesting',
      'empty',
      'whitespace',
    ] as const);
    labels.push(`bytes:${what}`);
    switch (what) {
      case 'truncate':
        return body.subarray(0, r.int(body.length));
      case 'flip': {
        const b = Buffer.from(body);
        if (b.length) {
          const at = r.int(b.length);
          b[at] = b[at]! ^ (1 << r.int(8));
        }
        return b;
      }
      case 'insert-byte': {
        const at = r.int(body.length + 1);
        return Buffer.concat([body.subarray(0, at), Buffer.from([r.int(256)]), body.subarray(at)]);
      }
      case 'bom':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
      case 'trailing':
        return Buffer.concat([body, Buffer.from(r.pick([',', ']', '}', 'x', '\u0000', '<', '</x>', '{"a":1}']))]);
      case 'doubled':
        return Buffer.concat([body, body]);
      case 'deep-nesting': {
        const depth = r.pick([1_000, 10_000, 100_000]);
        if (kind === 'xml') return Buffer.from(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`);
        return Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
      }
      case 'empty':
        return Buffer.alloc(0);
      case 'whitespace':
        return Buffer.concat([Buffer.from(' \n\t'), body, Buffer.from('\r\n')]);
    }
  }

  // ── HubSpot app webhooks ──

  private hsEvent(n: number, i: number, now: number): JObj {
    const r = this.r;
    const type = r.pick(SUB_TYPES);
    const e: JObj = {
      eventId: n * 1_000 + i + 1,
      subscriptionId: r.pick([12345, 12346, 999]),
      portalId: Number(r.pick(PORTALS)),
      appId: r.chance(0.2) ? Number(APP_ID) : 11111,
      occurredAt: now - r.int(86_400_000) - i,
      subscriptionType: type,
      attemptNumber: r.int(3),
      changeSource: r.pick(['CRM', 'INTEGRATION', 'FORM', 'API']),
    };
    const contactId = () => (r.chance(0.5) ? Number(r.digits(r.range(1, 11))) : r.digits(r.range(1, 11)));
    if (type.startsWith('contact.')) e['objectId'] = contactId();
    if (type === 'contact.propertyChange') {
      const prop = r.pick(PROPERTY_NAMES);
      e['propertyName'] = prop;
      e['propertyValue'] = prop.includes('date')
        ? r.pick([String(now - r.int(1e9)), new Date(now - r.int(1e9)).toISOString()])
        : r.pick(['VP Sales', 'lead', '42', 'x@example.com']);
      if (e['changeSource'] === 'INTEGRATION') e['sourceId'] = r.chance(0.5) ? APP_ID : '999';
    }
    if (type === 'contact.merge') {
      e['primaryObjectId'] = contactId();
      e['mergedObjectIds'] = [contactId(), contactId()];
      if (r.chance(0.5)) e['newObjectId'] = contactId();
    }
    if (type.endsWith('.associationChange')) {
      const eng = r.pick(['CALL', 'EMAIL', 'MEETING', 'COMMUNICATION']);
      const contactToEng = r.chance(0.5);
      e['associationType'] = contactToEng ? `CONTACT_TO_${eng}` : `${eng}_TO_CONTACT`;
      e['fromObjectId'] = contactId();
      e['toObjectId'] = contactId();
      e['associationRemoved'] = r.chance(0.1);
      if (r.chance(0.3)) {
        e['fromObjectTypeId'] = contactToEng ? '0-1' : r.pick(ENGAGEMENT_TYPES);
        e['toObjectTypeId'] = contactToEng ? r.pick(ENGAGEMENT_TYPES) : '0-1';
      }
      if (type.startsWith('object.')) e['objectTypeId'] = r.pick(ENGAGEMENT_TYPES);
    }
    if (type === 'object.creation') {
      e['objectTypeId'] = r.pick(ENGAGEMENT_TYPES);
      e['objectId'] = contactId();
    }
    return e;
  }

  /** Mutate one field of an object: delete, wrong type, bad id, surrogate, huge, extra field. */
  private mutateField(
    o: JObj,
    fields: readonly string[],
    idFields: ReadonlySet<string>,
    crm: 'hubspot' | 'salesforce',
    prefix: string,
    labels: string[],
    badIds: FuzzRequest['badIds'],
    allowHuge: boolean,
    n: number,
  ): void {
    const r = this.r;
    const present = Object.keys(o);
    const field = r.chance(0.8) && present.length ? r.pick(present) : r.pick(fields);
    const kinds = [
      'delete',
      'wrong-type',
      'surrogate',
      'raw-bytes',
      'extra-field',
      ...(idFields.has(field) ? ['bad-id', 'bad-id', 'bad-id', 'odd-id'] : []),
      ...(allowHuge ? ['huge'] : []),
    ];
    const kind = r.pick(kinds);
    labels.push(`${prefix}:${field}:${kind}`);
    switch (kind) {
      case 'delete':
        delete o[field];
        break;
      case 'wrong-type':
        o[field] = r.pickCopy(WRONG_TYPES);
        break;
      case 'surrogate': {
        const v = o[field];
        const s = this.surrogateIn(typeof v === 'string' || typeof v === 'number' ? `${String(v)}` : `v${n}`);
        o[field] = s;
        if (idFields.has(field)) badIds.push({ crm, id: s });
        break;
      }
      case 'raw-bytes': {
        const v = o[field];
        o[field] = `${typeof v === 'string' || typeof v === 'number' ? String(v) : ''}${RAW}`;
        break;
      }
      case 'extra-field':
        o[`x_${r.alnum(4)}`] = r.pickCopy(WRONG_TYPES);
        break;
      case 'bad-id': {
        const v = r.pickCopy(HS_BAD_IDS);
        o[field] = v;
        if (typeof v === 'string') badIds.push({ crm, id: v });
        break;
      }
      case 'odd-id':
        o[field] = r.pickCopy(HS_ODD_IDS);
        break;
      case 'huge':
        o[field] = HUGE;
        break;
    }
  }

  private hubspot(n: number): FuzzRequest {
    const r = this.r;
    const plan = this.plan();
    const labels: string[] = [];
    const badIds: FuzzRequest['badIds'] = [];
    const now = Date.now();
    const size = r.chance(0.02)
      ? r.pick([0, 101, 120])
      : r.chance(0.5)
        ? 1
        : r.chance(0.75)
          ? r.range(2, 10)
          : r.range(11, 100);
    const events: JObj[] = [];
    for (let i = 0; i < size; i++) events.push(this.hsEvent(n, i, now));
    let top: J = events;
    let hugePlaced = false;
    if (plan.mutate) {
      const m = r.range(1, 3);
      const idFields = new Set([
        'eventId',
        'subscriptionId',
        'portalId',
        'appId',
        'objectId',
        'primaryObjectId',
        'newObjectId',
        'fromObjectId',
        'toObjectId',
      ]);
      const fields = [
        'eventId',
        'subscriptionId',
        'portalId',
        'appId',
        'occurredAt',
        'subscriptionType',
        'attemptNumber',
        'objectId',
        'objectTypeId',
        'propertyName',
        'propertyValue',
        'changeSource',
        'sourceId',
        'primaryObjectId',
        'mergedObjectIds',
        'newObjectId',
        'associationType',
        'fromObjectId',
        'toObjectId',
        'associationRemoved',
      ];
      for (let k = 0; k < m && events.length; k++) {
        const e = r.pick(events);
        if (r.chance(0.1)) {
          // mergedObjectIds: an array of ids, one of them bad
          const v = r.pickCopy(HS_BAD_IDS);
          e['mergedObjectIds'] = [Number(r.digits(6)), v];
          if (typeof v === 'string') badIds.push({ crm: 'hubspot', id: v });
          labels.push('hubspot:mergedObjectIds:bad-id');
          continue;
        }
        this.mutateField(e, fields, idFields, 'hubspot', 'hubspot', labels, badIds, plan.huge && !hugePlaced, n);
        hugePlaced ||= labels.some((l) => l.endsWith(':huge'));
      }
      if (r.chance(0.05)) {
        const shape = r.pick(['object', 'string', 'number', 'null', 'nested'] as const);
        labels.push(`hubspot:top:${shape}`);
        top =
          shape === 'object'
            ? (events[0] ?? {})
            : shape === 'string'
              ? 'x'
              : shape === 'number'
                ? 1
                : shape === 'null'
                  ? null
                  : [events];
      }
    }
    if (plan.huge && !hugePlaced && events[0]) {
      events[0]['propertyValue'] = HUGE;
      labels.push('hubspot:propertyValue:huge');
    }
    let body = this.materialize(JSON.stringify(top), plan.huge ? this.hugeSize() : null, labels);
    if (plan.mutate && r.chance(0.08)) body = this.damage(body, labels, 'json');
    const path = r.chance(0.02)
      ? r.pick(['/webhooks/hubspot?x=1', '/webhooks/hubspot?', '/webhooks/hubspot?a=%ED%A0%80'])
      : '/webhooks/hubspot';
    const headers = this.hubspotAuth(path, body, plan.authFault, labels, r.chance(0.03) ? 'v1' : 'v3');
    if (labels.length === 0) labels.push('hubspot:valid');
    return {
      endpoint: 'hubspot',
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...headers },
      body,
      chunked: r.chance(0.02),
      labels,
      badIds,
    };
  }

  private hubspotAuth(
    path: string,
    body: Buffer,
    fault: boolean,
    labels: string[],
    version: 'v1' | 'v2' | 'v3',
  ): Record<string, string> {
    const r = this.r;
    const url = PUBLIC_BASE_URL + path;
    const now = Date.now();
    const sign = (ts: string, secret = HUBSPOT_SECRET, signedBody = body, signedUrl = url): Record<string, string> => {
      if (version === 'v1')
        return { 'x-hubspot-signature': signV1(secret, signedBody), 'x-hubspot-signature-version': 'v1' };
      if (version === 'v2')
        return {
          'x-hubspot-signature': signV2(secret, 'POST', signedUrl, signedBody),
          'x-hubspot-signature-version': 'v2',
        };
      return {
        'x-hubspot-signature-v3': signV3(secret, 'POST', signedUrl, signedBody, ts),
        'x-hubspot-request-timestamp': ts,
      };
    };
    if (!fault) return sign(String(now));
    const what = r.pick([
      'missing',
      'wrong-secret',
      'stale',
      'future',
      'bad-timestamp',
      'other-body',
      'other-url',
      'garbage',
      'version',
    ] as const);
    labels.push(`auth:${what}`);
    switch (what) {
      case 'missing':
        return {};
      case 'wrong-secret':
        return sign(String(now), 'not-the-secret-000000000');
      case 'stale':
        return sign(String(now - 6 * 60_000));
      case 'future':
        return sign(String(now + 6 * 60_000));
      case 'bad-timestamp':
        return {
          ...sign(String(now)),
          'x-hubspot-request-timestamp': r.pick(['', 'abc', '1e12', '-1', String(now).slice(0, 9), `${now}.5`]),
        };
      case 'other-body':
        return sign(String(now), HUBSPOT_SECRET, Buffer.concat([body, Buffer.from(' ')]));
      case 'other-url':
        return sign(String(now), HUBSPOT_SECRET, body, `http://leadstage.example.com${path}`);
      case 'garbage':
        return {
          'x-hubspot-signature-v3': r.pick(['', '=', 'x'.repeat(44), 'A'.repeat(43) + '=']),
          'x-hubspot-request-timestamp': String(now),
        };
      case 'version':
        return { 'x-hubspot-signature': 'abc', 'x-hubspot-signature-version': r.pick(['v4', 'V1', '', 'v2 ']) };
    }
  }

  // ── HubSpot workflow webhooks ──

  private workflow(n: number): FuzzRequest {
    const r = this.r;
    const plan = this.plan();
    const labels: string[] = [];
    const badIds: FuzzRequest['badIds'] = [];
    let type = r.pick(ACTIVITY_TYPES);
    const portal = r.pick(PORTALS);
    const inQuery = r.chance(0.5);
    const body: JObj = {
      _n: `${n}`,
      objectId: r.chance(0.5) ? Number(r.digits(r.range(1, 10))) : r.digits(r.range(1, 10)),
      ...(inQuery ? {} : { portalId: Number(portal) }),
      properties: {
        formName: r.pick(['Request a demo', 'Newsletter sign-up', 'Pricing']),
        email: `p${n}@example.com`,
        ...(r.chance(0.3) ? { hs_object_id: { value: r.digits(6) } } : {}),
      },
      ...(r.chance(0.5) ? { occurredAt: Date.now() - r.int(1e8) } : {}),
    };
    let query = inQuery ? `?portalId=${portal}` : '';
    if (plan.mutate) {
      const m = r.range(1, 3);
      for (let k = 0; k < m; k++) {
        const target = r.chance(0.25) ? 'path' : r.chance(0.3) ? 'properties' : 'body';
        if (target === 'path') {
          const what = r.pick([
            'unknown-type',
            'surrogate-type',
            'bad-escape',
            'long-type',
            'bad-portal-query',
            'double-portal',
            'empty-type',
          ] as const);
          labels.push(`workflow:path:${what}`);
          if (what === 'unknown-type')
            type = r.pick(['Form_Submission', 'form-submission', 'page_views', '__proto__', 'constructor', 'toString']);
          else if (what === 'surrogate-type')
            type = r.pick(['%ED%A0%80', 'form_submission%ED%A0%80', '%F0%9F%98', '%C0%80']);
          else if (what === 'bad-escape') type = r.pick(['%', '%zz', 'form%2', '%00', '%2F..%2F']);
          else if (what === 'long-type') type = 'a'.repeat(r.pick([300, 5_000, 60_000]));
          else if (what === 'bad-portal-query') {
            query = `?portalId=${r.pick(['12a', '%ED%A0%80', '-1', '1.5', '', '%20123', '%EF%BC%91%EF%BC%92', '62515%00', '62515%0A'])}`;
            if (!inQuery) delete body['portalId'];
          } else if (what === 'double-portal') {
            query = `?portalId=${portal}&portalId=7001`;
            delete body['portalId'];
          } else type = '';
        } else if (target === 'properties') {
          const props = (
            body['properties'] && typeof body['properties'] === 'object' && !Array.isArray(body['properties'])
              ? body['properties']
              : (body['properties'] = {})
          ) as JObj;
          this.mutateField(
            props,
            ['formName', 'email', 'hs_object_id', 'pageUrl'],
            new Set(['hs_object_id']),
            'hubspot',
            'workflow.properties',
            labels,
            badIds,
            plan.huge,
            n,
          );
        } else {
          this.mutateField(
            body,
            ['objectId', 'vid', 'portalId', 'portal-id', 'hs_object_id', 'occurredAt', 'properties'],
            new Set(['objectId', 'vid', 'portalId', 'portal-id', 'hs_object_id']),
            'hubspot',
            'workflow',
            labels,
            badIds,
            plan.huge,
            n,
          );
        }
      }
      if (!('_n' in body)) body['_n'] = `${n}`; // the delivery id is the body hash: keep it unique
    }
    if (plan.huge && !JSON.stringify(body).includes(HUGE)) {
      const props = body['properties'];
      if (props && typeof props === 'object' && !Array.isArray(props)) props['notes'] = HUGE;
      else body['notes'] = HUGE;
      labels.push('workflow:notes:huge');
    }
    let buf = this.materialize(JSON.stringify(body), plan.huge ? this.hugeSize() : null, labels);
    if (plan.mutate && r.chance(0.08)) buf = this.damage(buf, labels, 'json');
    const path = `/webhooks/hubspot/workflow/${type}${query}`;
    const headers = this.hubspotAuth(path, buf, plan.authFault, labels, r.chance(0.6) ? 'v2' : 'v3');
    if (labels.length === 0) labels.push('workflow:valid');
    return {
      endpoint: 'workflow',
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...headers },
      body: buf,
      chunked: r.chance(0.02),
      labels,
      badIds,
    };
  }

  // ── Salesforce outbound messages ──

  private sfId(prefix: string): string {
    const id15 = prefix + this.r.alnum(12);
    return this.r.chance(0.7) ? id15 + sfChecksum(id15) : id15;
  }

  private salesforce(n: number): FuzzRequest {
    const r = this.r;
    const plan = this.plan();
    const labels: string[] = [];
    const badIds: FuzzRequest['badIds'] = [];
    const count = r.chance(0.02)
      ? r.pick([0, 101])
      : r.chance(0.6)
        ? 1
        : r.chance(0.8)
          ? r.range(2, 10)
          : r.range(11, 100);
    let org: string = SF_ORG;
    const notes: { nid: string; type: string; fields: [string, string][] }[] = [];
    for (let i = 0; i < count; i++) {
      const nid15 = `04l${(n * 128 + i).toString(36).padStart(12, '0')}`;
      const type = r.pick([
        'Lead',
        'Lead',
        'Contact',
        'Contact',
        'Task',
        'Task',
        'Task',
        'Event',
        'Account',
        'Opportunity',
      ]);
      const whoPrefix = r.pick(['00Q', '003']);
      const fields: [string, string][] = [];
      if (type === 'Lead')
        fields.push(['Id', this.sfId('00Q')], ['Email', `l${n}@example.com`], ['NumberOfEmployees', '250']);
      else if (type === 'Contact') fields.push(['Id', this.sfId('003')], ['Email', `c${n}@example.com`]);
      else if (type === 'Task') {
        fields.push(
          ['Id', this.sfId('00T')],
          ['WhoId', this.sfId(whoPrefix)],
          ['TaskSubtype', r.pick(['Call', 'Email', 'Task', 'ListEmail'])],
        );
        const closed = r.chance(0.7);
        fields.push(['Status', closed ? 'Completed' : 'Not Started'], ['IsClosed', String(closed)]);
        if (closed && r.chance(0.7))
          fields.push(['CompletedDateTime', new Date(Date.now() - r.int(1e9)).toISOString()]);
        fields.push(['CreatedDate', new Date(Date.now() - r.int(1e9)).toISOString()]);
      } else if (type === 'Event')
        fields.push(
          ['Id', this.sfId('00U')],
          ['WhoId', this.sfId(whoPrefix)],
          ['CreatedDate', new Date(Date.now() - r.int(1e9)).toISOString()],
        );
      else fields.push(['Id', this.sfId(type === 'Account' ? '001' : '006')]);
      fields.push(['LastModifiedById', r.chance(0.1) ? INTEGRATION_USER : '0055g00000HumanAAA']);
      notes.push({ nid: nid15 + sfChecksum(nid15), type, fields });
    }
    let envelopeTweak = '';
    let hugeDone = false;
    if (plan.mutate) {
      const m = r.range(1, 3);
      for (let k = 0; k < m; k++) {
        const note = notes.length ? r.pick(notes) : undefined;
        const what = r.pick([
          'bad-who',
          'bad-who',
          'bad-who',
          'wrong-prefix-who',
          'bad-record-id',
          'wrong-prefix-record-id',
          'missing-field',
          'bad-notification-id',
          'org',
          'type',
          'bad-date',
          'nested',
          'cdata',
          'comment',
          'entity',
          'attributes',
          'duplicate-field',
          'dtd',
          'surrogate-ref',
          'namespace',
          ...(plan.huge ? ['huge'] : []),
        ] as const);
        labels.push(`salesforce:${what}`);
        const setField = (name: string, v: string) => {
          if (!note) return;
          const f = note.fields.find(([k2]) => k2 === name);
          if (f) f[1] = v;
          else note.fields.push([name, v]);
        };
        switch (what) {
          case 'bad-who': {
            if (!note) break;
            const v = r.pick(SF_BAD_WHO);
            if (note.type !== 'Task' && note.type !== 'Event') note.type = r.pick(['Task', 'Event']);
            setField('WhoId', v);
            setField('TaskSubtype', 'Call');
            setField('Status', 'Completed');
            setField('IsClosed', 'true');
            setField('CreatedDate', new Date().toISOString());
            badIds.push({ crm: 'salesforce', id: v.trim() });
            break;
          }
          case 'wrong-prefix-who': {
            const v = r.pick(SF_WRONG_PREFIX);
            setField('WhoId', v);
            badIds.push({ crm: 'salesforce', id: v });
            break;
          }
          case 'bad-record-id': {
            if (!note) break;
            const v = r.pick([...SF_BAD_WHO, ...SF_WRONG_PREFIX]);
            note.type = r.pick(['Lead', 'Contact']);
            setField('Id', v);
            badIds.push({ crm: 'salesforce', id: v.trim() });
            break;
          }
          case 'wrong-prefix-record-id': {
            if (!note) break;
            note.type = r.pick(['Lead', 'Contact']);
            const v = note.type === 'Lead' ? this.sfId('003') : r.pick([this.sfId('00Q'), this.sfId('001')]);
            setField('Id', v);
            badIds.push({ crm: 'salesforce', id: v });
            break;
          }
          case 'missing-field':
            if (note) note.fields.splice(r.int(note.fields.length), 1);
            break;
          case 'bad-notification-id':
            if (note) note.nid = r.pick(['', 'x', '04l-bad', `04l${r.alnum(20)}`, '\ud800']);
            break;
          case 'org':
            org = r.pick([
              OTHER_ORG,
              SF_ORG.slice(0, 15),
              SF_ORG.toLowerCase(),
              '',
              '00D',
              `${SF_ORG} `,
              '00Dbad-org-id0000',
              '001000000000001',
            ]);
            break;
          case 'type':
            if (note) note.type = r.pick(['', 'sf:', 'xsd:string', 'Lead ', 'lead', 'TASK', 'sf:Lead:Contact']);
            break;
          case 'bad-date':
            setField(
              r.pick(['CompletedDateTime', 'CreatedDate', 'LastModifiedDate']),
              r.pick(['', 'yesterday', '2026-13-45T99:99:99Z', '9'.repeat(30), '-271821-04-20T00:00:00Z']),
            );
            break;
          case 'nested':
            if (note) note.fields.push([r.pick(['WhoId', 'Id']), '<sf:Inner>00Q5g00000LeadAAA</sf:Inner>']);
            break;
          case 'cdata': {
            const v = r.pick(SF_BAD_WHO);
            setField('WhoId', `<![CDATA[${v}]]>`);
            badIds.push({ crm: 'salesforce', id: v.trim() });
            break;
          }
          case 'comment':
            setField('WhoId', '00Q5g<!-- c -->00000LeadAAA');
            badIds.push({ crm: 'salesforce', id: '00Q5g00000LeadAAA' });
            break;
          case 'entity': {
            const v = r.pick([
              '00Q&amp;5g00000Lead',
              '003&lt;x&gt;0000Cntc',
              '00Q&#48;5g00000LeadA',
              '&#x30;0Q5g00000LeadAAA',
            ]);
            setField('WhoId', v);
            badIds.push({ crm: 'salesforce', id: v });
            break;
          }
          case 'attributes':
            setField('WhoId', r.pick(['" xsi:nil="true', '']));
            break;
          case 'duplicate-field':
            if (note) note.fields.push(['WhoId', this.sfId('00Q')], ['WhoId', this.sfId('003')]);
            break;
          case 'dtd':
            envelopeTweak = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>';
            break;
          case 'surrogate-ref': {
            const v = `00Q${this.surrogateIn('5g00000Lead')}`;
            setField('WhoId', v);
            badIds.push({ crm: 'salesforce', id: v });
            break;
          }
          case 'namespace':
            envelopeTweak = r.pick(['ns', 'no-ns']);
            break;
          case 'huge': {
            if (!note) break;
            const field = r.pick(['Description', 'WhoId', 'Subject', 'Email']);
            setField(field, field === 'WhoId' ? `00Q${HUGE}` : HUGE);
            hugeDone = true;
            break;
          }
        }
      }
    }
    if (plan.huge && !hugeDone) {
      if (notes[0]) {
        notes[0].fields.push(['Description', HUGE]);
        labels.push('salesforce:description:huge');
      }
    }
    for (const x of notes)
      for (const [k, v] of x.fields)
        if ((k === 'Id' || k === 'WhoId') && v.length < 300) badIds.push({ crm: 'salesforce', id: v.trim() });
    const notifications = notes
      .map((x) => {
        const fields = x.fields
          .map(([k, v]) => (v.startsWith('" ') ? `<sf:${k}${v.slice(1)}"/>` : `<sf:${k}>${v}</sf:${k}>`))
          .join('');
        return `<Notification><Id>${x.nid}</Id><sObject xsi:type="sf:${x.type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;
      })
      .join('');
    const soapenv = envelopeTweak === 'ns' ? 'S' : 'soapenv';
    const inner = `<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${org}</OrganizationId><ActionId>04k000000000001AAA</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>https://example.invalid/services/Soap/c/61.0</EnterpriseUrl>${notifications}</notifications>`;
    const env =
      envelopeTweak === 'no-ns'
        ? `<Envelope><Body>${inner}</Body></Envelope>`
        : `<?xml version="1.0" encoding="UTF-8"?>${envelopeTweak.startsWith('<!') ? envelopeTweak : ''}<${soapenv}:Envelope xmlns:${soapenv}="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><${soapenv}:Body>${inner}</${soapenv}:Body></${soapenv}:Envelope>`;
    let body = this.materialize(env, plan.huge ? this.hugeSize() : null, labels, 'xml');
    if (plan.mutate && r.chance(0.06)) body = this.damage(body, labels, 'xml');
    let token = `token=${SF_TOKEN}`;
    if (plan.authFault) {
      const what = r.pick(['missing', 'wrong', 'double', 'case', 'encoded', 'prefix'] as const);
      labels.push(`auth:${what}`);
      token =
        what === 'missing'
          ? ''
          : what === 'wrong'
            ? 'token=nope'
            : what === 'double'
              ? `token=${SF_TOKEN}&token=${SF_TOKEN}`
              : what === 'case'
                ? `token=${SF_TOKEN.toUpperCase()}`
                : what === 'encoded'
                  ? `token=${encodeURIComponent(SF_TOKEN)}%00`
                  : `token=${SF_TOKEN.slice(0, -1)}`;
    }
    if (labels.length === 0) labels.push('salesforce:valid');
    return {
      endpoint: 'salesforce',
      method: 'POST',
      path: `/webhooks/salesforce${token ? `?${token}` : ''}`,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
      body,
      chunked: r.chance(0.02),
      labels,
      badIds,
    };
  }

  // ── the generic feed ──

  private feedEvent(n: number, i: number): JObj {
    const r = this.r;
    const c = r.next();
    const contact: JObj =
      c < 0.3
        ? { email: `u${r.int(5_000)}@example.com` }
        : c < 0.65
          ? {
              crm: 'hubspot',
              portalId: r.chance(0.5) ? Number(r.pick(PORTALS)) : r.pick(PORTALS),
              id: r.chance(0.5) ? r.digits(r.range(1, 10)) : Number(r.digits(r.range(1, 10))),
            }
          : { crm: 'salesforce', orgId: r.pick([SF_ORG, SF_ORG.slice(0, 15)]), id: this.sfId(r.pick(['00Q', '003'])) };
    return {
      id: `fz-${n}-${i}`,
      type: r.pick(ACTIVITY_TYPES),
      occurredAt: r.chance(0.5) ? new Date(Date.now() - r.int(1e9)).toISOString() : Date.now() - r.int(1e9),
      contact,
      attributes: r.chance(0.7)
        ? { feature: r.pick(['export', 'import', 'api']), url: 'https://example.com/pricing', n: r.int(100) }
        : {},
    };
  }

  private events(n: number): FuzzRequest {
    const r = this.r;
    const plan = this.plan();
    const labels: string[] = [];
    const badIds: FuzzRequest['badIds'] = [];
    const single = r.chance(0.4);
    const count = single ? 1 : r.chance(0.02) ? r.pick([0, 501]) : r.chance(0.7) ? r.range(1, 10) : r.range(11, 500);
    const events: JObj[] = [];
    for (let i = 0; i < count; i++) events.push(this.feedEvent(n, i));
    let hugeDone = false;
    if (plan.mutate && events.length) {
      const m = r.range(1, 3);
      for (let k = 0; k < m; k++) {
        const e = r.pick(events);
        const target = r.pick(['event', 'event', 'contact', 'contact', 'attributes'] as const);
        if (target === 'event') {
          const before = labels.length;
          this.mutateField(
            e,
            ['id', 'type', 'occurredAt', 'contact', 'attributes'],
            new Set(),
            'hubspot',
            'events',
            labels,
            badIds,
            plan.huge && !hugeDone,
            n,
          );
          const label = labels[before] ?? '';
          // keep accepted-looking ids unique, so two requests never race on one delivery
          if (label === 'events:id:wrong-type' && typeof e['id'] === 'string') e['id'] = `${e['id']}${n}-${k}`;
          hugeDone ||= label.endsWith(':huge');
        } else if (target === 'contact') {
          const c = (
            e['contact'] && typeof e['contact'] === 'object' && !Array.isArray(e['contact'])
              ? e['contact']
              : (e['contact'] = {})
          ) as JObj;
          const crm: 'hubspot' | 'salesforce' = c['crm'] === 'salesforce' ? 'salesforce' : 'hubspot';
          if (crm === 'salesforce' && 'id' in c && r.chance(0.5)) {
            const what = r.pick(['bad-id', 'wrong-prefix', 'bad-org', 'surrogate'] as const);
            labels.push(`events:contact.salesforce:${what}`);
            const v =
              what === 'bad-id'
                ? r.pick(SF_BAD_WHO)
                : what === 'wrong-prefix'
                  ? r.pick([...SF_WRONG_PREFIX, this.sfId('001'), this.sfId('00T')])
                  : what === 'surrogate'
                    ? `003${this.surrogateIn('5g00000Cntc')}`
                    : '';
            if (what === 'bad-org')
              c['orgId'] = r.pick(['00Dbad-org-id0000', OTHER_ORG, '00D' + r.alnum(12), '001000000000001']);
            else {
              c['id'] = v;
              badIds.push({ crm, id: v });
            }
          } else {
            this.mutateField(
              c,
              ['crm', 'email', 'portalId', 'id', 'orgId'],
              new Set(['portalId', 'id', 'orgId']),
              crm,
              `events:contact.${crm}`,
              labels,
              badIds,
              plan.huge && !hugeDone,
              n,
            );
          }
        } else {
          const a = (
            e['attributes'] && typeof e['attributes'] === 'object' && !Array.isArray(e['attributes'])
              ? e['attributes']
              : (e['attributes'] = {})
          ) as JObj;
          const what = r.pick([
            'surrogate-value',
            'surrogate-key',
            'nested',
            'long-value',
            'many-keys',
            'proto',
            'huge',
          ] as const);
          labels.push(`events:attributes:${what}`);
          if (what === 'surrogate-value') a['note'] = this.surrogateIn('a surrogate');
          else if (what === 'surrogate-key') a[this.surrogateIn('key')] = 'v';
          else if (what === 'nested') a['deep'] = { a: [1, { b: 2 }] };
          else if (what === 'long-value') a['long'] = 'x'.repeat(r.pick([1_999, 2_000, 2_001, 50_000]));
          else if (what === 'many-keys') for (let j = 0; j < r.pick([100, 1_000, 10_000]); j++) a[`k${j}`] = j;
          else if (what === 'proto') {
            a['__proto__'] = 'x';
            a['constructor'] = 'y';
          } else if (plan.huge && !hugeDone) {
            a['big'] = HUGE;
            hugeDone = true;
          }
        }
      }
    }
    if (plan.huge && !hugeDone && events[0]) {
      (events[0]['attributes'] && typeof events[0]['attributes'] === 'object' && !Array.isArray(events[0]['attributes'])
        ? (events[0]['attributes'] as JObj)
        : ((events[0]['attributes'] = {}) as JObj))['big'] = HUGE;
      labels.push('events:attributes.big:huge');
    }
    for (const e of events) {
      const c = e['contact'];
      if (c && typeof c === 'object' && !Array.isArray(c) && c['crm'] === 'salesforce' && typeof c['id'] === 'string')
        badIds.push({ crm: 'salesforce', id: c['id'] });
    }
    let body = this.materialize(
      JSON.stringify(single && events[0] ? events[0] : events),
      plan.huge ? this.hugeSize() : null,
      labels,
    );
    if (plan.mutate && r.chance(0.08)) body = this.damage(body, labels, 'json');
    const now = Date.now();
    let ts = String(Math.floor(now / 1000));
    let sig = `sha256=${signFeed(EVENTS_SECRET, ts, body)}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (plan.authFault) {
      const what = r.pick([
        'missing',
        'wrong-secret',
        'stale',
        'future',
        'ms-timestamp',
        'bad-timestamp',
        'upper-hex',
        'no-prefix',
        'other-body',
      ] as const);
      labels.push(`auth:${what}`);
      if (what === 'missing') {
        ts = '';
        sig = '';
      } else if (what === 'wrong-secret') sig = `sha256=${signFeed('wrong-secret-0000000000000', ts, body)}`;
      else if (what === 'stale' || what === 'future') {
        ts = String(Math.floor(now / 1000) + (what === 'stale' ? -360 : 360));
        sig = `sha256=${signFeed(EVENTS_SECRET, ts, body)}`;
      } else if (what === 'ms-timestamp') {
        ts = String(now);
        sig = `sha256=${signFeed(EVENTS_SECRET, ts, body)}`;
      } else if (what === 'bad-timestamp') ts = r.pick(['abc', '1e9', '-1', '']);
      else if (what === 'upper-hex') sig = sig.toUpperCase();
      else if (what === 'no-prefix')
        sig = sig.replace(/^sha256=/, ''); // accepted: the prefix is optional
      else sig = `sha256=${signFeed(EVENTS_SECRET, ts, Buffer.concat([body, Buffer.from('\n')]))}`;
    }
    if (ts) headers['x-leadstage-timestamp'] = ts;
    if (sig) headers['x-leadstage-signature'] = sig;
    if (labels.length === 0) labels.push('events:valid');
    return {
      endpoint: 'events',
      method: 'POST',
      path: '/webhooks/events',
      headers,
      body,
      chunked: r.chance(0.02),
      labels,
      badIds,
    };
  }

  // ── odd requests: wrong methods and paths, content encodings, a gzip bomb ──

  private other(n: number): FuzzRequest {
    const r = this.r;
    const what = r.pick(['gzip-feed', 'gzip-feed', 'gzip-bomb', 'bad-encoding', 'get', 'unknown-path', 'put'] as const);
    const labels = [`other:${what}`];
    const base = { endpoint: 'other' as const, chunked: false, labels, badIds: [] };
    if (what === 'gzip-feed' || what === 'gzip-bomb') {
      const plain = what === 'gzip-bomb' ? undefined : Buffer.from(JSON.stringify(this.feedEvent(n, 0)));
      const body = plain ? gzipSync(plain) : (this.bomb ??= gzipSync(Buffer.alloc(64 * 1_048_576, 0x20)));
      const ts = String(Math.floor(Date.now() / 1000));
      // The signature covers the inflated bytes (express.raw inflates before the router sees them).
      const sig = plain ? signFeed(EVENTS_SECRET, ts, plain) : 'x';
      return {
        ...base,
        method: 'POST',
        path: '/webhooks/events',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'x-leadstage-timestamp': ts,
          'x-leadstage-signature': `sha256=${sig}`,
        },
        body,
      };
    }
    if (what === 'bad-encoding') {
      return {
        ...base,
        method: 'POST',
        path: r.pick(['/webhooks/events', '/webhooks/hubspot', '/webhooks/salesforce?token=x']),
        headers: {
          'content-type': 'application/json',
          'content-encoding': r.pick(['gzip', 'deflate', 'br', 'compress', 'x-nope', 'gzip, gzip']),
        },
        body: Buffer.from('{"not":"compressed"}'),
      };
    }
    const path = r.pick([
      '/webhooks/hubspot',
      '/webhooks/events',
      '/webhooks/salesforce',
      '/webhooks/hubspot/workflow',
      '/webhooks/HubSpot',
      '/webhooks/hubspot/',
      '/webhooks/events/x',
      '/webhooks',
      '/webhooks/%ED%A0%80',
      '/webhooks/unknown',
    ]);
    const method = what === 'get' ? 'GET' : what === 'put' ? r.pick(['PUT', 'DELETE', 'PATCH']) : 'POST';
    return {
      ...base,
      method,
      path,
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' ? Buffer.alloc(0) : Buffer.from('[]'),
    };
  }
}

// ───────────────────────────── the child process ─────────────────────────────

const ROOT = new URL('../..', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Rss {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  hwmMb: number;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function readRss(pid: number): Rss | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return {
      rssMb: kb('VmRSS') / 1024,
      anonMb: kb('RssAnon') / 1024,
      fileMb: kb('RssFile') / 1024,
      hwmMb: kb('VmHWM') / 1024,
    };
  } catch {
    return null;
  }
}

/**
 * Where the resident memory is, from /proc/<pid>/smaps: glibc's main malloc arena ([heap], where
 * Buffers and C++ allocations below the mmap threshold live), small anonymous mappings (mostly V8's
 * 256 KiB heap pages), larger anonymous mappings (malloc'd chunks over the mmap threshold, thread
 * arenas, V8 large objects) and file-backed pages (the node binary, libraries).
 */
function smapsBreakdown(pid: number): string {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return 'smaps unavailable';
  }
  const kb = { brk: 0, small: 0, large: 0, file: 0, other: 0 };
  let smallMaps = 0;
  let cls: keyof typeof kb = 'other';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const sizeKb = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      const name = head[3] ?? '';
      cls =
        name === '[heap]'
          ? 'brk'
          : name === ''
            ? sizeKb <= 1024
              ? 'small'
              : 'large'
            : name.startsWith('/')
              ? 'file'
              : 'other';
      if (cls === 'small') smallMaps++;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[cls] += Number(rss[1]);
  }
  const m = (k: number) => (k / 1024).toFixed(0);
  return `malloc [heap] ${m(kb.brk)} MB, anon ≤1 MiB maps ${m(kb.small)} MB (${smallMaps} maps), anon >1 MiB maps ${m(kb.large)} MB, file ${m(kb.file)} MB`;
}

/** Ask V8 for a full, memory-reducing GC through the inspector (the child runs with --inspect=…:0). */
async function forceGc(wsUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl);
    const timer = setTimeout(() => {
      ws.close();
      resolve(false);
    }, 30_000);
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    ws.onmessage = (ev) => {
      if (String(ev.data).includes('"id":1')) {
        clearTimeout(timer);
        ws.close();
        resolve(true);
      }
    };
    ws.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
}

interface Sample {
  metrics: Map<string, number>;
  raw: string;
}

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const MB = 1_048_576;
const mb = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? NaN : n / MB);
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '?');

// ───────────────────────────── HTTP ─────────────────────────────

interface Outcome {
  status: number;
  error?: string;
  body: string;
  ms: number;
}

function send(agent: Agent, port: number, fr: FuzzRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    let status = 0;
    let text = '';
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      resolve({ status, ...(error && !status ? { error } : {}), body: text, ms: performance.now() - started });
    };
    const headers: Record<string, string | number> = { ...fr.headers };
    if (!fr.chunked && fr.method !== 'GET') headers['content-length'] = fr.body.length;
    let req;
    try {
      req = request({ host: '127.0.0.1', port, method: fr.method, path: fr.path, headers, agent });
    } catch (err) {
      // Node refuses some paths or header values itself: the request never left, not the server's fault.
      resolve({ status: -1, error: `client refused: ${(err as Error).message.slice(0, 80)}`, body: '', ms: 0 });
      return;
    }
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (c: Buffer) => {
        if (text.length < 300) text += c.toString('utf8');
      });
      res.on('end', () => finish());
      res.on('error', () => finish());
      res.on('close', () => finish());
    });
    // An error after the answer arrived (EPIPE while we still upload an over-limit body) is fine.
    req.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    if (fr.method === 'GET') return void req.end();
    if (!fr.chunked) return void req.end(fr.body);
    let off = 0;
    const pump = () => {
      while (off < fr.body.length) {
        const part = fr.body.subarray(off, off + 65_536);
        off += part.length;
        if (!req.write(part)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function getText(
  agent: Agent,
  port: number,
  path: string,
): Promise<{ status: number; text: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
      );
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// ───────────────────────────── Redis inspection ─────────────────────────────

interface Inspection {
  tenants: Set<string>;
  pendingMembers: number;
  activityHashes: number;
  engagementHashes: number;
  deliveries: number;
  recomputeJobs: number;
  malformed: Map<string, { reason: string; where: string }>;
  malformedTenants: Map<string, string>;
  suspicious: Map<string, string>;
  unknownOrgs: Set<string>;
  badActivityTimes: number;
  keys: number;
}

async function inspect(redis: Redis, prefix: string, orgs: readonly string[]): Promise<Inspection> {
  const ins: Inspection = {
    tenants: new Set(),
    pendingMembers: 0,
    activityHashes: 0,
    engagementHashes: 0,
    deliveries: 0,
    recomputeJobs: 0,
    malformed: new Map(),
    malformedTenants: new Map(),
    suspicious: new Map(),
    unknownOrgs: new Set(),
    badActivityTimes: 0,
    keys: 0,
  };
  const tenantRe = new RegExp(
    `^${prefix}:\\{(hubspot|salesforce):(.*?)\\}:(pending|inflight|act:|eng:|gone:|dl:|.*)(.*)$`,
    's',
  );
  const noteRef = (crm: string, tenant: string, objectType: string | null, id: string, where: string) => {
    const why = malformedRef(crm, objectType, id);
    const key = `${crm}:${tenant}|${objectType ?? '?'}:${id}`;
    if (why) ins.malformed.set(key, { reason: why, where });
    else {
      const odd = suspiciousRef(crm, id);
      if (odd) ins.suspicious.set(key, odd);
    }
  };
  const noteTenant = (crm: string, id: string) => {
    ins.tenants.add(`${crm}:${id}`);
    const why = malformedTenant(crm, id);
    if (why) ins.malformedTenants.set(`${crm}:${id}`, why);
    if (crm === 'salesforce' && !why && !orgs.includes(id)) ins.unknownOrgs.add(id);
  };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2_000);
    cursor = next;
    ins.keys += keys.length;
    for (const key of keys) {
      const m = tenantRe.exec(key);
      if (!m) {
        // BullMQ job hashes carry the tenant in their data.
        if (new RegExp(`^${prefix}:leadstage-recompute:[^:]+$`).test(key) && (await redis.type(key)) === 'hash') {
          const data = await redis.hget(key, 'data');
          if (data) {
            ins.recomputeJobs++;
            try {
              const t = (JSON.parse(data) as { tenant?: { crm?: string; id?: string } }).tenant;
              if (t?.crm && typeof t.id === 'string') noteTenant(t.crm, t.id);
            } catch {
              /* not one of ours */
            }
          }
        }
        continue;
      }
      const [, crm, tenant, kind, rest] = m as unknown as [string, string, string, string, string];
      noteTenant(crm, tenant);
      if (kind === 'pending' || kind === 'inflight') {
        let c = '0';
        do {
          const [n2, members] = await redis.sscan(key, c, 'COUNT', 1_000);
          c = n2;
          for (const member of members) {
            ins.pendingMembers++;
            const i = member.indexOf(':');
            noteRef(crm, tenant, i < 0 ? '' : member.slice(0, i), i < 0 ? member : member.slice(i + 1), kind);
          }
        } while (c !== '0');
      } else if (kind === 'act:') {
        ins.activityHashes++;
        noteRef(crm, tenant, null, rest, 'activity hash');
        let c = '0';
        do {
          const [n2, flat] = await redis.hscan(key, c, 'COUNT', 500);
          c = n2;
          for (let i = 1; i < flat.length; i += 2) {
            try {
              const at = (JSON.parse(flat[i]!) as { at?: unknown }).at;
              if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 946_684_800_000 || at > 4_102_444_800_000)
                ins.badActivityTimes++;
            } catch {
              ins.badActivityTimes++;
            }
          }
        } while (c !== '0');
      } else if (kind === 'eng:') {
        ins.engagementHashes++;
        for (const f of await redis.hkeys(key))
          if (f.startsWith('c:')) noteRef(crm, tenant, 'contact', f.slice(2), 'engagement link');
      } else if (kind === 'dl:') {
        ins.deliveries++;
      }
    }
  } while (cursor !== '0');
  return ins;
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`fuzz-ingress: ${s}\n`);
  const prefix = `drill${randomBytes(4).toString('hex')}`;
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const port = await freePort();
  const childEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    REDIS_URL: redisUrl,
    LEADSTAGE_REDIS_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL,
    HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
    HUBSPOT_APP_ID: APP_ID,
    EVENTS_SIGNING_SECRET: EVENTS_SECRET,
    SALESFORCE_WEBHOOK_TOKEN: SF_TOKEN,
    SALESFORCE_ORG_IDS: SF_ORG,
    SALESFORCE_INTEGRATION_USER_ID: INTEGRATION_USER,
    LOG_LEVEL: 'silent',
    MAX_BODY_BYTES: String(args.maxBodyBytes),
    ...args.env,
  };
  log(
    `${args.appRoot ? `app root ${args.appRoot}, ` : ''}seed ${JSON.stringify(args.seed)}, ${args.requests} requests, concurrency ${args.concurrency}, prefix ${prefix}, port ${port}, MAX_BODY_BYTES ${childEnv['MAX_BODY_BYTES']}` +
      `${
        Object.keys(args.env).length
          ? `, env ${Object.entries(args.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }`,
  );

  const nodeArgs = args.gcAtEnd ? ['--inspect=127.0.0.1:0'] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, 'src/app/main.ts', 'web'], {
    cwd: args.appRoot ?? ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let childOut = '';
  const keepTail = (d: Buffer) => {
    childOut = (childOut + d.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  let exited: { code: number | null; signal: NodeJS.Signals | null; during: string } | undefined;
  let phase = 'start-up';
  let stopping = false;
  child.on('exit', (code, signal) => {
    exited = { code, signal, during: phase };
  });
  const pid = child.pid!;
  // However the drill ends, the web process it started does not outlive it.
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency, maxFreeSockets: args.concurrency });

  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      stopping = true;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
      );
      clearTimeout(t);
    }
    agent.destroy();
    if (!args.keepKeys)
      await deleteByPrefix(redis, prefix).catch((err: Error) => log(`could not delete keys: ${err.message}`));
    else log(`keys kept under ${prefix}:*`);
    redis.disconnect();
  };
  process.once('SIGINT', () => {
    log('interrupted; stopping the child and deleting keys');
    void cleanup().then(() => process.exit(130));
  });
  try {
    return await drive();
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }

  async function drive(): Promise<number> {
    // Wait for readiness.
    const readyBy = Date.now() + 20_000;
    let ready = false;
    while (Date.now() < readyBy && !exited) {
      try {
        if ((await getText(agent, port, '/readyz')).status === 200) {
          ready = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) {
      log(`web process did not become ready${exited ? ` (exited ${exited.code ?? exited.signal})` : ''}:\n${childOut}`);
      await cleanup();
      return 2;
    }

    const sample = async (): Promise<Sample | null> => {
      try {
        const r = await getText(agent, port, '/metrics');
        return { metrics: parseMetrics(r.text), raw: r.text };
      } catch {
        return null;
      }
    };
    const heap = (s: Sample | null) => mb(s?.metrics.get('nodejs_heap_size_used_bytes'));
    const heapTotal = (s: Sample | null) => mb(s?.metrics.get('nodejs_heap_size_total_bytes'));
    const external = (s: Sample | null) => mb(s?.metrics.get('nodejs_external_memory_bytes'));
    const memLine = (label: string, rss: Rss | null, s: Sample | null) =>
      `${label}: RSS ${f0(rss?.rssMb ?? NaN)} MB (anon ${f0(rss?.anonMb ?? NaN)}, file ${f0(rss?.fileMb ?? NaN)}, peak ${f0(rss?.hwmMb ?? NaN)}), heap used ${f0(heap(s))} / total ${f0(heapTotal(s))} MB, external ${f0(external(s))} MB`;

    await new Promise((r) => setTimeout(r, 500));
    const rss0 = readRss(pid);
    const s0 = await sample();
    log(memLine('before', rss0, s0));
    log(`before: ${smapsBreakdown(pid)}`);

    // ── the run ──
    phase = 'run';
    const gen = new Generator(args.seed, args.maxBodyBytes, args.hugeRate, args.endpoints);
    const statuses = new Map<number, number>();
    const byEndpoint = new Map<string, Map<string, number>>();
    const fivexx: { n: number; endpoint: string; status: number; labels: string[]; body: string }[] = [];
    const fivexxByLabel = new Map<string, number>();
    const connErrors = new Map<string, number>();
    const clientRefused = new Map<string, number>();
    const badIdSources = new Map<string, { endpoints: Set<string>; labels: Set<string> }>();
    let timeouts = 0;
    let slowest = 0;
    let bytesSent = 0;
    const checkpoints: { at: number; rss: Rss | null; sample: Promise<Sample | null> }[] = [];
    const pendingCheckpoints = args.rssAt.filter((x) => x < args.requests);
    let nextIndex = 0;
    let completed = 0;
    const startedAt = Date.now();
    const cpuChild0 = cpuSeconds(pid);
    const cpuSelf0 = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    let lastProgress = startedAt;
    const progressEvery = Math.max(1_000, Math.floor(args.requests / 10));

    const record = (n: number, fr: FuzzRequest, o: Outcome) => {
      completed++;
      slowest = Math.max(slowest, o.ms);
      bytesSent += fr.body.length;
      if (o.status === -1) {
        clientRefused.set(o.error ?? '?', (clientRefused.get(o.error ?? '?') ?? 0) + 1);
      } else if (o.status === 0) {
        const e = o.error ?? 'unknown';
        if (e === 'timeout') timeouts++;
        connErrors.set(e, (connErrors.get(e) ?? 0) + 1);
      } else {
        statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
        const cls = `${Math.floor(o.status / 100)}xx`;
        const em = byEndpoint.get(fr.endpoint) ?? new Map<string, number>();
        byEndpoint.set(fr.endpoint, em);
        em.set(String(o.status), (em.get(String(o.status)) ?? 0) + 1);
        if (o.status >= 500) {
          if (fivexx.length < 20) {
            fivexx.push({ n, endpoint: fr.endpoint, status: o.status, labels: fr.labels, body: o.body.slice(0, 120) });
            // Logged at once too, so it is on record even if the run never reaches its report.
            if (fivexx.length <= 10)
              log(
                `≥500 now: #${n} ${fr.endpoint} → ${o.status} ${o.body.slice(0, 120).replace(/\s+/g, ' ')} [${fr.labels.join(' ')}]`,
              );
          }
          for (const l of fr.labels)
            fivexxByLabel.set(`${o.status} ${l}`, (fivexxByLabel.get(`${o.status} ${l}`) ?? 0) + 1);
        }
        if (cls === '2xx' && badIdSources.size < 200_000) {
          for (const b of fr.badIds) {
            const k = `${b.crm}|${norm(b.id)}`;
            const src = badIdSources.get(k) ?? { endpoints: new Set<string>(), labels: new Set<string>() };
            src.endpoints.add(fr.endpoint);
            if (src.labels.size < 20) for (const l of fr.labels) src.labels.add(l);
            badIdSources.set(k, src);
          }
        }
      }
      while (pendingCheckpoints.length && completed >= pendingCheckpoints[0]!) {
        const at = pendingCheckpoints.shift()!;
        checkpoints.push({ at, rss: readRss(pid), sample: sample() });
      }
      const now = Date.now();
      if (completed % progressEvery === 0 || now - lastProgress > 30_000) {
        lastProgress = now;
        const rate = completed / ((now - startedAt) / 1000);
        const five =
          [...statuses]
            .filter(([s]) => s >= 500)
            .map(([s, c]) => `${s}×${c}`)
            .join(' ') || '0';
        log(
          `${completed}/${args.requests} (${rate.toFixed(0)}/s), ≥500 ${five}, conn errors ${[...connErrors.values()].reduce((a, b) => a + b, 0)}, RSS ${f0(readRss(pid)?.rssMb ?? NaN)} MB`,
        );
      }
    };

    const worker = async () => {
      while (nextIndex < args.requests && !exited) {
        const n = nextIndex++;
        const fr = gen.make(n);
        const o = await send(agent, port, fr, 30_000);
        record(n, fr, o);
      }
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
    const elapsed = (Date.now() - startedAt) / 1000;
    const cpuChild = cpuSeconds(pid) - cpuChild0;
    const cpuSelf = (process.cpuUsage().user + process.cpuUsage().system) / 1e6 - cpuSelf0;
    const crashed = exited;
    phase = 'settle';

    const rssEnd = readRss(pid);
    const sEnd = crashed ? null : await sample();
    log(memLine(`after ${completed}`, rssEnd, sEnd));
    for (const c of checkpoints) log(memLine(`at ${c.at}`, c.rss, await c.sample));
    let rssSettled: Rss | null = null;
    let sSettled: Sample | null = null;
    if (!crashed && args.settleMs > 0) {
      // RSS only while settling (reading /proc does not wake the process, unlike a /metrics scrape).
      const settleStart = Date.now();
      const trail: string[] = [];
      while (Date.now() - settleStart < args.settleMs) {
        await new Promise((r) => setTimeout(r, Math.min(15_000, args.settleMs - (Date.now() - settleStart))));
        trail.push(`${((Date.now() - settleStart) / 1000).toFixed(0)}s ${f0(readRss(pid)?.rssMb ?? NaN)}`);
      }
      if (trail.length > 1) log(`RSS while idle (MB): ${trail.join(', ')}`);
      rssSettled = readRss(pid);
      sSettled = await sample();
      log(memLine(`settled ${args.settleMs / 1000}s`, rssSettled, sSettled));
    }
    const spaces = (smp: Sample | null) =>
      [...(smp?.metrics ?? [])]
        .filter(([k]) => k.startsWith('nodejs_heap_space_size_total_bytes'))
        .map(([k, v]) => [/space="([^"]+)"/.exec(k)?.[1] ?? '?', v] as const)
        .filter(([, v]) => v >= MB)
        .map(([space, v]) => `${space} ${f0(mb(v))}`)
        .join(', ');
    log(`V8 spaces committed (MB) before: ${spaces(s0)}`);
    if (!crashed)
      log(`V8 spaces committed (MB) ${args.settleMs > 0 ? 'settled' : 'after'}: ${spaces(sSettled ?? sEnd)}`);
    if (!crashed) log(`${args.settleMs > 0 ? 'settled' : 'after'}: ${smapsBreakdown(pid)}`);
    let rssGc: Rss | null = null;
    if (!crashed && args.gcAtEnd) {
      const wsUrl = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(childOut)?.[0];
      if (wsUrl && (await forceGc(wsUrl))) {
        await new Promise((r) => setTimeout(r, 2_000));
        rssGc = readRss(pid);
        log(memLine('after a forced full GC', rssGc, await sample()));
        log(`after GC: ${smapsBreakdown(pid)}`);
      } else log('could not force a GC through the inspector');
    }
    const final = sSettled ?? sEnd;

    // Server-side view: rejections by reason, answers by route and status.
    if (final) {
      const rejected = [...final.metrics]
        .filter(([k]) => k.startsWith('leadstage_requests_rejected_total'))
        .map(([k, v]) => `${k.replace('leadstage_requests_rejected_total', '')} ${v}`);
      log(`server rejections: ${rejected.join(', ') || 'none'}`);
      const answers = [...final.metrics]
        .filter(([k]) => k.startsWith('leadstage_http_request_duration_seconds_count'))
        .map(([k, v]) => `${k.replace('leadstage_http_request_duration_seconds_count', '')} ${v}`);
      log(`server answers: ${answers.join(', ')}`);
      const accepted = [...final.metrics]
        .filter(([k]) => k.startsWith('leadstage_events_accepted_total'))
        .map(([k, v]) => `${/source="([^"]+)"/.exec(k)?.[1]} ${v}`);
      log(`events accepted: ${accepted.join(', ') || 'none'}`);
    }

    // ── what got enqueued ──
    phase = 'inspect';
    const ins = await inspect(redis, prefix, [SF_ORG.slice(0, 15)]);
    log(
      `enqueued: ${ins.tenants.size} tenants, ${ins.pendingMembers} pending members, ${ins.activityHashes} activity hashes, ${ins.engagementHashes} engagement hashes, ${ins.deliveries} delivery records, ${ins.recomputeJobs} recompute jobs (${ins.keys} keys)`,
    );
    const byReason = new Map<string, string[]>();
    for (const [k, v] of ins.malformed) {
      const list = byReason.get(`${v.reason} (${v.where})`) ?? [];
      list.push(k);
      byReason.set(`${v.reason} (${v.where})`, list);
    }
    for (const [reason, list] of byReason) {
      const sources = new Map<string, number>();
      const unattributed: string[] = [];
      const labelCounts = new Map<string, number>();
      for (const k of list) {
        const crm = k.slice(0, k.indexOf(':'));
        const id = k.slice(k.indexOf('|') + 1).replace(/^[^:]*:/, '');
        const from = badIdSources.get(`${crm}|${norm(id)}`);
        const label = from ? [...from.endpoints].sort().join('+') : 'unattributed';
        for (const l of from?.labels ?? []) labelCounts.set(l, (labelCounts.get(l) ?? 0) + 1);
        if (!from) unattributed.push(k);
        sources.set(label, (sources.get(label) ?? 0) + 1);
      }
      log(
        `MALFORMED ${list.length}× ${reason}; sent by ${[...sources].map(([s, c]) => `${s} ${c}`).join(', ')}; e.g. ${list
          .slice(0, 4)
          .map((k) => show(k))
          .join(' ')}${
          unattributed.length
            ? `; unattributed e.g. ${unattributed
                .slice(0, 4)
                .map((k) => show(k))
                .join(' ')}`
            : ''
        }` +
          `; mutations seen with them: ${[...labelCounts]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 6)
            .map(([l, c]) => `${l} ×${c}`)
            .join(', ')}`,
      );
    }
    for (const [t, why] of ins.malformedTenants) log(`MALFORMED TENANT ${show(t)}: ${why}`);
    if (ins.suspicious.size) {
      const odd = new Map<string, string[]>();
      for (const [k, why] of ins.suspicious) odd.set(why, [...(odd.get(why) ?? []), k]);
      for (const [why, list] of odd)
        log(
          `note: ${list.length}× ${why} (well-formed, not counted as malformed), e.g. ${list
            .slice(0, 3)
            .map((k) => show(k))
            .join(' ')}`,
        );
    }
    if (ins.unknownOrgs.size)
      log(
        `note: ${ins.unknownOrgs.size} Salesforce org(s) not in SALESFORCE_ORG_IDS got state (via the feed), e.g. ${[...ins.unknownOrgs].slice(0, 3).join(' ')}`,
      );
    if (ins.badActivityTimes)
      log(`note: ${ins.badActivityTimes} stored activities with an occurredAt outside 2000–2100 or not an integer`);

    // ── report ──
    for (const f of fivexx.slice(0, 10))
      log(`≥500: #${f.n} ${f.endpoint} → ${f.status} ${f.body.replace(/\s+/g, ' ')} [${f.labels.join(' ')}]`);
    if (fivexxByLabel.size) {
      const top = [...fivexxByLabel].sort((a, b) => b[1] - a[1]).slice(0, 12);
      log(`≥500 by mutation: ${top.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    }
    for (const [e, m] of byEndpoint)
      log(
        `${e}: ${[...m]
          .sort()
          .map(([s, c]) => `${s} ${c}`)
          .join(', ')}`,
      );
    if (clientRefused.size)
      log(
        `not sent (Node's client refused the request line): ${[...clientRefused].map(([e, c]) => `${e} ${c}`).join(', ')}`,
      );
    if (crashed)
      log(
        `CRASH: the web process exited (${crashed.code ?? crashed.signal}) during ${crashed.during}; its last output:\n${childOut}`,
      );
    log(
      `${completed} requests in ${elapsed.toFixed(1)} s (${(completed / elapsed).toFixed(0)}/s), ${(bytesSent / MB).toFixed(0)} MB sent, slowest ${(slowest / 1000).toFixed(2)} s, CPU: web process ${cpuChild.toFixed(0)} s, drill ${cpuSelf.toFixed(0)} s`,
    );

    phase = 'stop';
    await cleanup();
    const unclean = !crashed && exited && exited.code !== 0 ? exited : undefined;
    if (unclean) log(`the web process exited ${unclean.code ?? unclean.signal} on SIGTERM (expected 0)`);
    void stopping;

    const count = (pred: (s: number) => boolean) =>
      [...statuses].filter(([s]) => pred(s)).reduce((a, [, c]) => a + c, 0);
    const ge500 = count((s) => s >= 500);
    const conn = [...connErrors.values()].reduce((a, b) => a + b, 0);
    const fourxx = [...statuses]
      .filter(([s]) => s >= 400 && s < 500)
      .sort((a, b) => a[0] - b[0])
      .map(([s, c]) => `${s} ${c}`)
      .join(', ');
    const five = [...statuses]
      .filter(([s]) => s >= 500)
      .sort((a, b) => a[0] - b[0])
      .map(([s, c]) => `${s} ${c}`)
      .join(', ');
    const cps = await Promise.all(checkpoints.map(async (c) => `@${c.at} ${f0(c.rss?.rssMb ?? NaN)}`));
    const rssA = rss0?.rssMb ?? NaN;
    const rssB = rssEnd?.rssMb ?? NaN;
    const memParts = [
      ...cps,
      ...(rssSettled ? [`settled ${f0(rssSettled.rssMb)}`] : []),
      ...(rssGc ? [`after GC ${f0(rssGc.rssMb)}`] : []),
    ];
    const malformed = ins.malformed.size + ins.malformedTenants.size;
    const summary =
      `fuzz-ingress: ${completed} requests, ${ge500} ≥500${five ? ` (${five})` : ''}, ${conn} conn errors${timeouts ? ` (${timeouts} timeouts)` : ''}, ${crashed ? 1 : 0} crashes, ` +
      `${ins.malformed.size} malformed ids enqueued${ins.malformedTenants.size ? ` + ${ins.malformedTenants.size} malformed tenants` : ''}, ` +
      `2xx ${count((s) => s >= 200 && s < 300)} / 4xx ${count((s) => s >= 400 && s < 500)} (${fourxx}), ` +
      `RSS ${f0(rssA)}→${f0(rssB)} MB (${rssB - rssA >= 0 ? '+' : ''}${f0(rssB - rssA)})${memParts.length ? ` [${memParts.join(', ')}]` : ''}, ` +
      `heap ${f0(heap(s0))}→${f0(heap(sEnd))} MB, external ${f0(external(s0))}→${f0(external(sEnd))} MB, seed ${args.seed}`;
    process.stdout.write(`${summary}\n`);
    return ge500 > 0 || crashed || timeouts > 0 || malformed > 0 ? 1 : 0;
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`fuzz-ingress: drill failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
}
