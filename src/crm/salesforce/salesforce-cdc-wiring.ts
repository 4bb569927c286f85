import type { Connection } from 'jsforce';
import type { LeadstageConfig } from '../../core/model.ts';
import type { ChangeFeedDeps, CrmConnectorContext } from '../../platform/crm-module.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';
import type { CdcStore } from '../../store/cdc-store.ts';
import { CdcSubscription, type PubSubClientClass } from './salesforce-cdc.ts';
import { SalesforceCdcFeed } from './salesforce-cdc-feed.ts';

export interface SalesforceCdcWiring {
  ctx: CrmConnectorContext;
  deps: ChangeFeedDeps;
  store: CdcStore;
  /** The adapter's connection per org: CDC shares its token, so a refresh (and rotation) happens once. */
  connection: (record: TenantRecord) => Promise<Connection>;
  ownProperties: (config: LeadstageConfig) => string[];
  /** Tests: a shorter lease and retry, and the fake server's self-signed certificate. */
  leaseMs?: number;
  retry?: { minMs: number; maxMs: number };
  rejectUnauthorizedSsl?: boolean;
}

/**
 * Loaded on first use only: deployments without CDC never load gRPC and Avro. (avro-js 1.12.2
 * requires `underscore` without declaring it: package.json lists underscore for it.)
 */
let clientClass: Promise<PubSubClientClass> | undefined;
export function loadPubSubClient(): Promise<PubSubClientClass> {
  clientClass ??= import('./pubsub-client.ts')
    .then((m) => m.PubSubClient)
    .catch((err: Error) => {
      clientClass = undefined;
      throw new Error(`SALESFORCE_CDC=on but the Pub/Sub client does not load: ${err.message}`);
    });
  return clientClass;
}

/** The Salesforce change feed of a worker process: leases, subscriptions, the org's session. */
export function salesforceCdcFeed(w: SalesforceCdcWiring): SalesforceCdcFeed {
  const { ctx, deps, store } = w;
  const { env, log } = ctx;
  return new SalesforceCdcFeed({
    store,
    log,
    tenants: deps.tenants,
    ready: loadPubSubClient,
    ...(w.leaseMs ? { leaseMs: w.leaseMs } : {}),
    subscribe: (record, lease, lost) =>
      new CdcSubscription({
        tenant: record.tenant,
        channels: env.SALESFORCE_CDC_CHANNELS,
        endpoint: env.SALESFORCE_PUBSUB_ENDPOINT,
        session: async () => {
          const c = await w.connection(record);
          return { accessToken: c.accessToken ?? '', instanceUrl: c.instanceUrl };
        },
        refreshSession: async (used) => {
          const c = await w.connection(record);
          // jsforce's delegate runs one refresh at a time, shared with the adapter's 401 handling.
          if (c.accessToken === used) await c._refreshDelegate?.refresh(Date.now());
        },
        replays: () => store.replays(record.tenant),
        saveReplay: (channel, replay) => store.setReplay(record.tenant, lease, channel, replay),
        ingest: deps.ingest,
        echo: () => ({
          ownFields: w.ownProperties(record.config),
          ...(env.SALESFORCE_INTEGRATION_USER_ID ? { integrationUserId: env.SALESFORCE_INTEGRATION_USER_ID } : {}),
        }),
        log,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        now: () => ctx.clock.now().getTime(),
        loadClient: loadPubSubClient,
        onLeaseLost: lost,
        ...(w.retry ? { retry: w.retry } : {}),
        ...(w.rejectUnauthorizedSsl === false ? { rejectUnauthorizedSsl: false } : {}),
      }),
  });
}
