// npm run demo — the whole pipeline on this machine: sandbox CRM (HubSpot + Salesforce faces),
// leadstage's web server and worker, Redis (REDIS_URL, or a private redis-server). A scripted
// stream of activity for the seeded personas goes in as the CRMs would send it; the tables show
// what leadstage wrote back. Then time passes on the worker's clock (an SLA missed, thirty quiet
// days). Exits 0 and leaves nothing running.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTenant, setTenantConfig } from '../src/demo/install-tenants.ts';
import { LOCAL, startPipeline } from '../src/demo/pipeline.ts';
import { callFloor, crmRows, ownerNames, rowTable, type Row } from '../src/demo/report.ts';
import { playStream } from '../src/demo/stream.ts';
import { playTime } from '../src/demo/time-travel.ts';
import { ShiftedClock } from '../src/platform/clock.ts';
import { readSeed } from '../src/sandbox/seed.ts';

const SECOND_PORTAL = '73001';
const started = Date.now();
const say = (s: string) => process.stdout.write(`${s}\n`);
say('leadstage demo: starting Redis, the sandbox CRM, the webhook server and the worker…');
const clock = new ShiftedClock();
// A second portal's own config: the same model, but MQL only from a score of 100.
const configDir = mkdtempSync(join(tmpdir(), 'leadstage-demo-'));
const shipped = readFileSync('config/leadstage.yaml', 'utf8');
const MQL = /marketingqualifiedlead: \{ minScore: \d+,/;
if (!MQL.test(shipped))
  throw new Error('demo: config/leadstage.yaml has no marketingqualifiedlead criteria line to vary');
writeFileSync(join(configDir, 'enterprise.yaml'), shipped.replace(MQL, 'marketingqualifiedlead: { minScore: 100,'));
const adminToken = randomBytes(24).toString('hex');
// The time-driven sweeps run every second, so the demo can move the worker's clock and watch them act.
const p = await startPipeline({
  logLevel: 'error',
  clock,
  env: { SLA_SWEEP_MS: '1000', DECAY_SWEEP_MS: '1000' },
  connectedApp: { adminToken, configDir },
});
try {
  const seed = readSeed();
  const names = ownerNames(seed);
  // The connected app: two HubSpot portals and one Salesforce org install through the OAuth routes
  // (install link → the sandbox's consent page → callback), as a browser would.
  const second = p.sandbox.addHubSpotPortal(SECOND_PORTAL);
  for (const o of seed.hubspot.owners) second.owners.push({ ...o });
  for (const c of seed.hubspot.contacts) second.contacts.set(c.id, { id: c.id, properties: { ...c.properties } });
  for (const [crm, portalId] of [
    ['hubspot', LOCAL.portalId],
    ['hubspot', SECOND_PORTAL],
    ['salesforce', undefined],
  ] as const) {
    const r = await installTenant(p.url, p.sandbox, crm, portalId ? { portalId } : {});
    if (!r.ok) throw new Error(`demo: installing ${crm} ${portalId ?? ''} failed: ${r.page}`);
  }
  const own = await setTenantConfig(p.url, adminToken, { crm: 'hubspot', id: SECOND_PORTAL }, 'enterprise.yaml');
  if (own.status !== 200)
    throw new Error(`demo: the admin route refused the tenant config: ${JSON.stringify(own.body)}`);
  say(
    `  installed through /oauth/…/install: HubSpot portals ${LOCAL.portalId} (default config) and ${SECOND_PORTAL} (enterprise.yaml: MQL from a score of 100), Salesforce org ${LOCAL.orgId.slice(0, 15)}; leadstage set up its properties in each portal`,
  );
  const callsBefore = p.sandbox.totalCalls;
  // The stream is taken in whole before the worker starts on it: one batch per CRM, so the owner
  // rotation picks the same owners on every run (a live stream's batches depend on its timing).
  await p.worker.worker.pause();
  const played = await playStream(p, seed, [LOCAL.portalId, SECOND_PORTAL]);
  await p.sandbox.webhooksIdle();
  await p.resolved(); // the event known by e-mail only joins the first batch too
  p.worker.worker.resume();
  say(
    `  played ${played.feed} feed events, ${played.workflows} workflow webhooks, HubSpot property changes and a Salesforce edit; waiting for the pipeline…`,
  );
  await p.drained();
  const streamCalls = p.sandbox.totalCalls - callsBefore;
  const streamMs = Date.now() - started;

  const tz = p.config.businessHours.timezone;
  const rows = () => crmRows(p.sandbox, seed, p.config, [LOCAL.portalId, SECOND_PORTAL]);
  const now = rows();
  say('\nHubSpot (portal 62515)');
  for (const line of rowTable(
    now.filter((r) => r.account === LOCAL.portalId),
    tz,
  ))
    say(line);
  const strict = now.filter((r) => r.account === SECOND_PORTAL);
  const mqlIn = (rs: readonly Row[]) => rs.filter((r) => r.stage === 'marketingqualifiedlead');
  const notThere = mqlIn(now.filter((r) => r.account === LOCAL.portalId)).filter(
    (r) => !mqlIn(strict).some((x) => x.name === r.name),
  );
  say(
    `\nHubSpot (portal ${SECOND_PORTAL}, its own config): the same stream makes ${plural(mqlIn(strict).length, 'MQL')} instead of ${mqlIn(now.filter((r) => r.account === LOCAL.portalId)).length}`,
  );
  if (notThere.length) say(`  still leads there: ${notThere.map((r) => `${r.name} (${r.score})`).join(', ')}`);
  say('\nSalesforce (org 00D5g000004Sxyz)');
  for (const line of rowTable(
    now.filter((r) => r.crm === 'salesforce'),
    tz,
  ))
    say(line);

  const hsValues = p.config.crm['hubspot'] as { leadStatusValues: Record<string, string> };
  const sfValues = (p.config.crm['salesforce'] as Record<string, { leadStatusValues: Record<string, string> }>)[
    'lead'
  ]!;
  const top = [...now].filter((r) => r.score !== null).sort((a, b) => b.score! - a.score!)[0];
  say(`
How to read it:
  - A score is points, not a percentage: fit (who they are) plus engagement (what they did, decaying with a
    ${p.config.engagement.halfLifeDays}-day half-life). ${top ? `${top.name.replace(/^(Lead|Contact) /, '')} has ${top.score}` : ''}; an MQL needs ${describeMql(p.config)}.
  - Nurture is a lead status: HubSpot ${hsValues.leadStatusValues['nurture']}, Salesforce ${sfValues.leadStatusValues['nurture']}. A poor fit who engages (the student)
    is nurtured, not sent to sales; a disqualified contact (the competitor) scores 0, with the reason on the record.
  - Owners come from a weighted rotation shared by all workers; the same stream gives the same owners.`);

  say("\nTime passes on the worker's clock");
  const tenants = [
    { crm: 'hubspot', id: LOCAL.portalId },
    { crm: 'hubspot', id: SECOND_PORTAL },
    { crm: 'salesforce', id: LOCAL.orgId.slice(0, 15) },
  ];
  const t = await playTime(p, clock, tenants, rows, names, say);
  const d = [
    ...new Map([...t.decayed].sort((a, b) => b.from - b.to - (a.from - a.to)).map((x) => [x.name, x])).values(),
  ].slice(0, 3);
  say(
    `    decay: ${t.decayed.length} scores written lower without any event (e.g. ${d.map((x) => `${x.name.replace(/^(Lead|Contact) /, '')} ${x.from} → ${x.to}`).join(', ')})`,
  );
  say(
    `    recycled: ${t.recycled.length} stale MQLs back to lead, status nurture${t.recycled.length ? ` (${[...new Set(t.recycled)].slice(0, 3).join(', ')}${t.recycled.length > 3 ? ', …' : ''})` : ''}`,
  );
  say(
    `    SLA: ${t.reminded} reminders, ${t.reassigned} reassignments, ${t.escalated} escalations to the manager, ${t.retired} tasks closed as their lead was recycled — all as notes and tasks in the CRMs`,
  );

  const scored = now.filter((r) => r.score !== null);
  // The floor of batch calls per account, plus the one lookup per account that the event known by
  // e-mail only needs (leadstage asks every account it serves who has that address).
  const floor = callFloor(now) + new Set(now.map((r) => r.account)).size;
  const mqls = now.filter((r) => /^(marketingqualifiedlead|MQL)$/.test(r.stage)).length;
  const sqls = now.filter((r) => /^(salesqualifiedlead|SQL)$/.test(r.stage)).length;
  const tasks = now.filter((r) => r.tasks).length;
  say(
    `\nScored ${scored.length} contacts: ${plural(mqls, 'MQL')}, ${plural(sqls, 'SQL')}, ${plural(tasks, 'follow-up task')}; the stream cost ${streamCalls} CRM calls, ${(streamCalls / floor).toFixed(2)}× the floor of ${floor}, in ${(streamMs / 1000).toFixed(1)} s.`,
  );
  say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Where to look next:
  - why a contact scored what it did:  npx leadstage score test/fixtures/contacts/demo-request-vp.json
  - tune the model:                    config/leadstage.yaml, then npx leadstage check-config
  - run it for real:                   README.md ("Running the webhook server"), npm start
  - the sandbox on its own:            npm run sandbox`);
} finally {
  await p.stop();
  rmSync(configDir, { recursive: true, force: true });
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function describeMql(config: typeof p.config): string {
  const c = config.lifecycle.criteria['marketingqualifiedlead'];
  return c
    ? `a score of ${c.minScore ?? 0}${c.minGrade ? ` and fit grade ${c.minGrade} or better` : ''}`
    : 'the MQL criteria';
}
