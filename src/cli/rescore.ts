import { rescoreTenant } from '../../jobs/rescore-tenant.ts';
import { CRMS, crmModule } from '../app/crm-registry.ts';
import { createCrmProvider } from '../app/crm-provider.ts';
import { staticTenantDirectory } from '../app/static-tenant-directory.ts';
import { configPathFromEnv } from '../config/load-config.ts';
import { systemClock } from '../platform/clock.ts';
import { parseEnv } from '../platform/env.ts';
import { Keys } from '../platform/keys.ts';
import { createLogger } from '../platform/logger.ts';
import { createQueues, requestRecompute } from '../platform/queues.ts';
import { createRedis } from '../platform/redis.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { EXIT, loadConfigOrReport, type CliIo } from './cli-io.ts';

const USAGE = `usage: leadstage rescore <${CRMS.map((c) => c.kind).join('|')}> [accountId]
  queue every contact of the account for a recompute (running workers do the work). Single-account
  mode: HubSpot needs HUBSPOT_ACCESS_TOKEN and HUBSPOT_PORTAL_ID; Salesforce its SALESFORCE_* settings.
`;

/** `leadstage rescore <crm> [accountId]`: queue every contact of the account for a recompute. */
export async function rescoreCommand(args: string[], io: CliIo): Promise<number> {
  const module = args[0] ? crmModule(args[0]) : undefined;
  if (!module || args.length > 2) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const parsed = parseEnv(io.env, { web: false });
  if (!parsed.ok) {
    for (const e of parsed.errors) io.stderr(`${e}\n`);
    return EXIT.invalid;
  }
  const env = parsed.env;
  const config = loadConfigOrReport(configPathFromEnv(io.env), io);
  if (!config) return EXIT.invalid;
  const directory = staticTenantDirectory(env, config, CRMS);
  const records = (await directory.list()).filter((r) => r.tenant.crm === module.kind && (!args[1] || r.tenant.id === args[1]));
  if (records.length !== 1) {
    io.stderr(`no single ${module.kind} account is configured${args[1] ? ` with id ${args[1]}` : ''}\n${USAGE}`);
    return EXIT.usage;
  }
  const tenant = records[0]!.tenant;
  const redis = createRedis(env.REDIS_URL, 'worker');
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const queues = createQueues(redis, keys.prefix);
  try {
    const log = createLogger('silent');
    const crms = createCrmProvider(directory, CRMS, { env, redis, keys, log, clock: systemClock, maxInlineWaitMs: 60_000 });
    const served = await crms.serve(tenant);
    if (!served) {
      io.stderr(`${module.kind} account ${tenant.id} has no mapping in the config\n`);
      return EXIT.invalid;
    }
    const store = new WorkerStore(redis, keys);
    const r = await rescoreTenant(tenant, {
      crm: served.crm,
      markPending: (t, refs) => store.markPending(t, refs),
      requestRecompute: (t) => requestRecompute(queues.recompute, t, 0),
      maxQuotaShare: env.NONURGENT_MAX_QUOTA_SHARE,
    });
    io.stdout(`queued ${r.queued} contacts of ${module.kind} account ${tenant.id} for a recompute\n`);
    if (r.stoppedAtQuotaShare !== null) {
      io.stderr(`stopped early: the account has used ${(r.stoppedAtQuotaShare * 100).toFixed(0)} % of its daily API quota (NONURGENT_MAX_QUOTA_SHARE); run again later\n`);
    }
    return EXIT.ok;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
