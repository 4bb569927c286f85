import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import avro from 'avro-js';

/**
 * A fake Salesforce Pub/Sub API at the network boundary: a real gRPC server over TLS (a
 * self-signed certificate made with openssl) speaking the `pubsub_api.proto` that
 * salesforce-pubsub-api-client bundles. It implements GetTopic, GetSchema and the Subscribe bidi
 * stream with flow control (num_requested), the replay presets (LATEST, EARLIEST, CUSTOM) and
 * the documented errors: an unknown or purged replay id is INVALID_ARGUMENT with the trailer
 * `error-code: sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted`, a bad token
 * UNAUTHENTICATED with `sfdc.platform.eventbus.grpc.service.auth.error`.
 * Docs: https://developer.salesforce.com/docs/platform/pub-sub-api/guide/handling-errors.html
 * Events are Avro-encoded with the topic's schema; changedFields travel as field bitmaps, as
 * Salesforce sends them (the client turns them back into names with the schema).
 */

const require = createRequire(import.meta.url);
const PROTO = join(dirname(require.resolve('salesforce-pubsub-api-client')), '..', 'pubsub_api.proto');

/** A cut-down LeadChangeEvent/ContactChangeEvent schema in Salesforce's shape (header record first). */
export function changeEventSchema(entity: string, fields: readonly string[]): string {
  const header = {
    type: 'record',
    name: 'ChangeEventHeader',
    namespace: 'com.sforce.eventbus',
    fields: [
      { name: 'entityName', type: 'string' },
      { name: 'recordIds', type: { type: 'array', items: 'string' } },
      {
        name: 'changeType',
        type: {
          type: 'enum',
          name: 'ChangeType',
          namespace: 'com.sforce.eventbus',
          symbols: [
            'CREATE',
            'DELETE',
            'UNDELETE',
            'UPDATE',
            'GAP_CREATE',
            'GAP_DELETE',
            'GAP_UNDELETE',
            'GAP_UPDATE',
            'GAP_OVERFLOW',
            'SNAPSHOT',
          ],
        },
      },
      { name: 'changeOrigin', type: 'string' },
      { name: 'transactionKey', type: 'string' },
      { name: 'sequenceNumber', type: 'int' },
      { name: 'commitTimestamp', type: 'long' },
      { name: 'commitNumber', type: 'long' },
      { name: 'commitUser', type: 'string' },
      { name: 'nulledFields', type: { type: 'array', items: 'string' } },
      { name: 'diffFields', type: { type: 'array', items: 'string' } },
      { name: 'changedFields', type: { type: 'array', items: 'string' } },
    ],
  };
  return JSON.stringify({
    type: 'record',
    name: `${entity}ChangeEvent`,
    namespace: 'com.sforce.eventbus',
    fields: [
      { name: 'ChangeEventHeader', type: header },
      ...fields.map((f) => ({ name: f, type: ['null', 'string'], default: null })),
    ],
  });
}

export interface FakeHeader {
  entityName: string;
  recordIds: string[];
  changeType: string;
  changeOrigin?: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitUser: string;
  /** Field names; encoded as the bitmap Salesforce sends. */
  changedFields?: string[];
}

interface Topic {
  name: string;
  schemaId: string;
  schemaJson: string;
  type: ReturnType<typeof avro.parse>;
  fieldNames: string[];
  log: { replayId: bigint; id: string; payload: Buffer }[];
  /** Replay ids older than this index are "purged" (outside the retention window). */
  purgedBefore: number;
}

interface Stream {
  topic: Topic;
  call: grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;
  next: number;
  credit: number;
}

export interface SubscribeSeen {
  topicName: string;
  replayPreset: number;
  replayId: bigint | null;
  accessToken: string;
  instanceUrl: string;
  tenantId: string;
}

const PRESET: Record<string, number> = { LATEST: 0, EARLIEST: 1, CUSTOM: 2 };

function replayBytes(id: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(id);
  return b;
}

export class FakePubSubServer {
  readonly subscribes: SubscribeSeen[] = [];
  /** Access tokens the server accepts. */
  readonly tokens = new Set<string>();
  private readonly topics = new Map<string, Topic>();
  private readonly streams = new Set<Stream>();
  private readonly server = new grpc.Server();
  private dir = '';
  private nextReplay = 1_000n;
  /** While set, the FetchRequests that ask for more events wait here (still on their way, as it were). */
  private held: { stream: Stream; n: number }[] | null = null;
  port = 0;

  /** Hold back the subscribers' requests for more events until `releaseRequests`. */
  holdRequests(): void {
    this.held ??= [];
  }

  releaseRequests(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const { stream, n } of held) {
      stream.credit += n;
      this.pump(stream);
    }
  }

  /** Requests for more events held back so far. */
  heldRequests(): number {
    return this.held?.length ?? 0;
  }

  addTopic(name: string, entity: string, fields: readonly string[]): void {
    const schemaJson = changeEventSchema(entity, fields);
    const fieldNames = ['ChangeEventHeader', ...fields];
    this.topics.set(name, {
      name,
      schemaId: `schema-${entity}`,
      schemaJson,
      type: avro.parse(schemaJson),
      fieldNames,
      log: [],
      purgedBefore: 0,
    });
  }

  /** Publish a change event on a topic; live subscribers with credit get it at once. Returns its replay id. */
  publish(topicName: string, header: FakeHeader, fields: Record<string, string | null> = {}): bigint {
    const topic = this.topic(topicName);
    const changed = header.changedFields ?? [];
    const bits = changed.reduce((acc, f) => {
      const i = topic.fieldNames.indexOf(f);
      if (i < 0) throw new Error(`${f} is not a field of ${topicName}`);
      return acc | (1n << BigInt(i));
    }, 0n);
    const record: Record<string, unknown> = {
      ChangeEventHeader: {
        changeOrigin: '',
        commitNumber: 1,
        nulledFields: [],
        diffFields: [],
        ...header,
        changedFields: changed.length ? [`0x${bits.toString(16).toUpperCase()}`] : [],
      },
    };
    // Avro unions are written wrapped ({ string: … }); the client unwraps single-key objects.
    for (const f of topic.fieldNames.slice(1)) record[f] = fields[f] == null ? null : { string: fields[f] };
    this.nextReplay += 7n; // replay ids need not be contiguous
    const replayId = this.nextReplay;
    topic.log.push({ replayId, id: `evt-${replayId}`, payload: topic.type.toBuffer(record) });
    for (const s of this.streams) if (s.topic === topic) this.pump(s);
    return replayId;
  }

  /** Everything up to (not including) the next event is purged: older replay ids are refused. */
  purge(topicName: string): void {
    const t = this.topic(topicName);
    t.purgedBefore = t.log.length;
  }

  /** An empty FetchResponse carrying the tip's replay id, as the server sends within 270 s of silence. */
  keepalive(): void {
    for (const s of this.streams) {
      const tip = s.topic.log.at(-1)?.replayId ?? this.nextReplay;
      s.call.write({
        events: [],
        latestReplayId: replayBytes(tip),
        rpcId: 'rpc-keepalive',
        pendingNumRequested: s.credit,
      });
    }
  }

  /** Open Subscribe streams per topic. */
  openStreams(topicName?: string): number {
    return [...this.streams].filter((s) => !topicName || s.topic.name === topicName).length;
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'fake-pubsub-'));
    const key = join(this.dir, 'key.pem');
    const cert = join(this.dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, {})) as unknown as {
      eventbus: { v1: { PubSub: { service: grpc.ServiceDefinition } } };
    };
    this.server.addService(pkg.eventbus.v1.PubSub.service, {
      GetTopic: (call: grpc.ServerUnaryCall<{ topicName: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const t = this.topics.get(call.request.topicName);
        if (!t) return cb({ code: grpc.status.NOT_FOUND, details: 'no such topic' });
        cb(null, {
          topicName: t.name,
          tenantGuid: 'org',
          canPublish: false,
          canSubscribe: true,
          schemaId: t.schemaId,
          rpcId: 'rpc-topic',
        });
      },
      GetSchema: (call: grpc.ServerUnaryCall<{ schemaId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const t = [...this.topics.values()].find((x) => x.schemaId === call.request.schemaId);
        if (!t) return cb({ code: grpc.status.NOT_FOUND, details: 'no such schema' });
        cb(null, { schemaJson: t.schemaJson, schemaId: t.schemaId, rpcId: 'rpc-schema' });
      },
      Subscribe: (call: Stream['call']) => this.subscribe(call),
    });
    const creds = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: readFileSync(key), cert_chain: readFileSync(cert) }],
      false,
    );
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', creds, (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.call.end();
    this.streams.clear();
    await new Promise<void>((r) => this.server.tryShutdown(() => r()));
    this.server.forceShutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** End every open stream with a gRPC error, as a network blip or server restart would. */
  dropStreams(): void {
    for (const s of this.streams)
      s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'RST_STREAM closed stream' });
    this.streams.clear();
  }

  private topic(name: string): Topic {
    const t = this.topics.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    return t;
  }

  private fail(call: Stream['call'], code: grpc.status, errorCode: string, details: string): void {
    const md = new grpc.Metadata();
    md.set('error-code', errorCode);
    md.set('rpc-id', 'rpc-err');
    call.emit('error', { code, details: `${details} rpcId: rpc-err`, metadata: md });
  }

  private subscribe(call: Stream['call']): void {
    const md = call.metadata;
    let stream: Stream | undefined;
    call.on('data', (req: Record<string, unknown>) => {
      const n = Number(req['numRequested'] ?? 0);
      if (stream && this.held) {
        this.held.push({ stream, n });
        return;
      }
      if (stream) {
        stream.credit += n;
        this.pump(stream);
        return;
      }
      const accessToken = String(md.get('accesstoken')[0] ?? '');
      const topic = this.topics.get(String(req['topicName']));
      const presetRaw = req['replayPreset'];
      const preset = typeof presetRaw === 'string' ? PRESET[presetRaw]! : Number(presetRaw ?? 0);
      const raw = req['replayId'] as Buffer | undefined;
      const replayId = raw && raw.length === 8 ? raw.readBigUInt64BE() : null;
      this.subscribes.push({
        topicName: String(req['topicName']),
        replayPreset: preset,
        replayId,
        accessToken,
        instanceUrl: String(md.get('instanceurl')[0] ?? ''),
        tenantId: String(md.get('tenantid')[0] ?? ''),
      });
      if (!this.tokens.has(accessToken))
        return this.fail(
          call,
          grpc.status.UNAUTHENTICATED,
          'sfdc.platform.eventbus.grpc.service.auth.error',
          'An authentication exception occurred.',
        );
      if (!topic)
        return this.fail(
          call,
          grpc.status.NOT_FOUND,
          'sfdc.platform.eventbus.grpc.subscription.topic.not.found',
          'topic not found',
        );
      let next = topic.log.length;
      if (preset === 1) next = topic.purgedBefore;
      if (preset === 2) {
        const i = topic.log.findIndex((e) => e.replayId === replayId);
        if (i < topic.purgedBefore) {
          return this.fail(
            call,
            grpc.status.INVALID_ARGUMENT,
            'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
            'The Replay ID validation failed.',
          );
        }
        next = i + 1;
      }
      stream = { topic, call, next, credit: n };
      this.streams.add(stream);
      this.pump(stream);
    });
    const forget = () => {
      if (stream) this.streams.delete(stream);
    };
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('cancelled', forget);
    call.on('error', forget);
  }

  private pump(s: Stream): void {
    while (s.credit > 0 && s.next < s.topic.log.length) {
      const e = s.topic.log[s.next]!;
      s.next += 1;
      s.credit -= 1;
      s.call.write({
        events: [
          {
            event: { id: e.id, schemaId: s.topic.schemaId, payload: e.payload, headers: [] },
            replayId: replayBytes(e.replayId),
          },
        ],
        latestReplayId: replayBytes(e.replayId),
        rpcId: 'rpc-fetch',
        pendingNumRequested: s.credit,
      });
    }
  }
}
