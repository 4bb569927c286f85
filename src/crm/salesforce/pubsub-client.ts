import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import avro, { type AvroType } from 'avro-js';
import type { ChangeEventHeader } from './salesforce-cdc-mapping.ts';

/**
 * The subscribe half of the Salesforce Pub/Sub API (gRPC, Avro), on @grpc/grpc-js with the
 * pubsub_api.proto that salesforce-pubsub-api-client publishes. Why not that client itself: its
 * close() removes the streams' listeners without cancelling the calls, so a stream stays open on
 * the server and the next error it gets (a session expiry, a server restart) is an unhandled
 * 'error' event that kills the worker; and its flow control asks for more events before ours are
 * durable. Here every call is cancelled on close, and the caller asks for events as it drains them.
 * Protocol: https://developer.salesforce.com/docs/platform/pub-sub-api/guide/intro.html
 */

const require = createRequire(import.meta.url);
const PROTO = join(dirname(require.resolve('salesforce-pubsub-api-client')), '..', 'pubsub_api.proto');

/** Avro longs beyond 2^53 (commit numbers) stay exact as bigint instead of failing the decode. */
const LONG = avro.types.LongType.using({
  fromBuffer: (buf) => {
    const big = buf.readBigInt64LE();
    return big < BigInt(Number.MIN_SAFE_INTEGER) || big > BigInt(Number.MAX_SAFE_INTEGER) ? big : Number(big);
  },
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n as number));
    return buf;
  },
  fromJSON: (v) => BigInt(v as number),
  toJSON: (v) => Number(v),
  isValid: (n) => (typeof n === 'number' && Number.isInteger(n)) || typeof n === 'bigint',
  compare: (a, b) => ((a as number) === (b as number) ? 0 : (a as number) < (b as number) ? -1 : 1),
});

export interface PubSubClientOptions {
  /** host:port of the Pub/Sub API. */
  endpoint: string;
  accessToken: string;
  instanceUrl: string;
  orgId: string;
  /** Tests only: accept a self-signed certificate. */
  rejectUnauthorizedSsl?: boolean;
}

export interface DecodedEvent {
  replayId: bigint;
  /** undefined: the payload could not be decoded (its records are unknown). */
  header: ChangeEventHeader | undefined;
}

export interface StreamHandlers {
  /** One FetchResponse's events, in order; `pending`: events still requested from the server. */
  events(events: DecodedEvent[], pending: number): void;
  /**
   * An empty FetchResponse: nothing to deliver, the stream's tip is `latest`; `pending`: the events
   * still requested as the server saw it when it sent this (0 also when it does not say).
   */
  keepalive(latest: bigint, pending: number): void;
  /** The stream is over (gRPC status with its trailers, or a schema that could not be fetched). */
  failed(err: grpc.ServiceError | Error): void;
}

export interface PubSubStream {
  request(n: number): void;
}

interface FetchResponse {
  events?: { event?: { schemaId?: string; payload?: Buffer }; replayId?: Buffer }[];
  latestReplayId?: Buffer;
  pendingNumRequested?: number;
}
type Duplex = grpc.ClientDuplexStream<Record<string, unknown>, FetchResponse>;
interface PubSubStub extends grpc.Client {
  Subscribe(): Duplex;
  GetSchema(req: { schemaId: string }, cb: (err: grpc.ServiceError | null, res?: { schemaJson: string }) => void): void;
}

let service: grpc.ServiceClientConstructor | undefined;
function pubSubService(): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, {})) as unknown as {
    eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } };
  };
  return (service ??= pkg.eventbus.v1.PubSub);
}

const replayBytes = (id: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(id);
  return b;
};
const replayOf = (b: Buffer | undefined) => (b && b.length >= 8 ? b.readBigUInt64BE(b.length - 8) : 0n);

/** changedFields come as field bitmaps ("0x…" over the record's fields; "i-0x…" inside compound field i). */
function fieldNames(type: AvroType, bitmaps: unknown): string[] {
  if (!Array.isArray(bitmaps)) return [];
  const fields = type.getFields();
  const names = new Set<string>();
  for (const raw of bitmaps as string[]) {
    const [parent, hex] = raw.includes('-') ? raw.split('-') : [undefined, raw];
    if (parent !== undefined) {
      const f = fields[Number(parent)];
      if (f) names.add(f.getName()); // a compound field (Name, Address): its name is enough to tell ours apart
      continue;
    }
    if (!hex?.startsWith('0x')) continue;
    const bits = BigInt(hex);
    fields.forEach((f, i) => {
      if ((bits >> BigInt(i)) & 1n) names.add(f.getName());
    });
  }
  return [...names];
}

export class PubSubClient {
  private readonly stub: PubSubStub;
  private readonly schemas = new Map<string, Promise<AvroType>>();
  private readonly calls = new Set<Duplex>();
  private closed = false;

  constructor(opts: PubSubClientOptions) {
    const metadata = grpc.credentials.createFromMetadataGenerator((_params, cb) => {
      const md = new grpc.Metadata();
      md.add('accesstoken', opts.accessToken);
      md.add('instanceurl', opts.instanceUrl);
      md.add('tenantid', opts.orgId);
      cb(null, md);
    });
    const tls = grpc.credentials.createSsl(
      null,
      null,
      null,
      opts.rejectUnauthorizedSsl === false ? { rejectUnauthorized: false } : {},
    );
    const Stub = pubSubService();
    this.stub = new Stub(
      opts.endpoint,
      grpc.credentials.combineChannelCredentials(tls, metadata),
    ) as unknown as PubSubStub;
  }

  /** Subscribe after `after` (CUSTOM) or at the tip (LATEST, `after` null), asking for `initial` events. */
  subscribe(topicName: string, after: bigint | null, initial: number, on: StreamHandlers): PubSubStream {
    const call = this.stub.Subscribe();
    this.calls.add(call);
    let over = false;
    let order: Promise<void> = Promise.resolve();
    const end = (err: grpc.ServiceError | Error) => {
      if (over) return;
      over = true;
      this.calls.delete(call);
      call.cancel();
      if (!this.closed) on.failed(err);
    };
    call.on('data', (res: FetchResponse) => {
      // Schemas are fetched on first sight: decode in arrival order even when one has to wait.
      order = order
        .then(async () => {
          if (over) return;
          const list = res.events ?? [];
          if (list.length === 0) return on.keepalive(replayOf(res.latestReplayId), res.pendingNumRequested ?? 0);
          const decoded: DecodedEvent[] = [];
          for (const e of list)
            decoded.push({
              replayId: replayOf(e.replayId),
              header: await this.decode(e.event?.schemaId, e.event?.payload),
            });
          if (!over) on.events(decoded, res.pendingNumRequested ?? 0);
        })
        .catch((err: Error) => end(err));
    });
    call.on('error', (err: grpc.ServiceError) => end(err)); // also our own cancel: ignored once over
    call.on('end', () => end(new Error(`${topicName}: the server ended the stream`)));
    call.write(
      after === null
        ? { topicName, replayPreset: 'LATEST', numRequested: initial }
        : { topicName, replayPreset: 'CUSTOM', replayId: replayBytes(after), numRequested: initial },
    );
    return {
      request: (n) => {
        if (!over) call.write({ topicName, numRequested: n });
      },
    };
  }

  /** Cancel every stream and close the channel; no handler is called afterwards. */
  close(): void {
    this.closed = true;
    for (const c of this.calls) c.cancel();
    this.calls.clear();
    this.stub.close();
  }

  private async decode(
    schemaId: string | undefined,
    payload: Buffer | undefined,
  ): Promise<ChangeEventHeader | undefined> {
    if (!schemaId || !payload) return undefined;
    const type = await this.schema(schemaId); // a schema that cannot be fetched fails the stream (retried)
    let record: { ChangeEventHeader?: ChangeEventHeader & { changedFields?: unknown } };
    try {
      record = type.fromBuffer(payload) as typeof record;
    } catch {
      return undefined;
    }
    const h = record.ChangeEventHeader;
    if (!h) return undefined;
    return { ...h, changedFields: fieldNames(type, h.changedFields), commitTimestamp: Number(h.commitTimestamp) };
  }

  private schema(schemaId: string): Promise<AvroType> {
    let s = this.schemas.get(schemaId);
    if (!s) {
      s = new Promise<AvroType>((resolve, reject) =>
        this.stub.GetSchema({ schemaId }, (err, res) => {
          if (err || !res) return reject(err ?? new Error('empty schema answer'));
          try {
            resolve(avro.parse(res.schemaJson, { registry: { long: LONG } }));
          } catch (e) {
            reject(e as Error);
          }
        }),
      );
      s.catch(() => this.schemas.delete(schemaId));
      this.schemas.set(schemaId, s);
    }
    return s;
  }
}
