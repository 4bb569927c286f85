import { createQueues } from '../../jobs/queues.ts';
import { rescoreTenant } from '../../jobs/rescore-tenant.ts';
import { configPathFromEnv } from '../config/load-config.ts';
import { HubSpotAdapter } from '../crm/hubspot/hubspot-adapter.ts';
import { TenantRateLimiter } from '../crm/rate-limiter.ts';
import { Keys } from '../ingest/keys.ts';
import { parseEnv } from '../server/env.ts';
import { createRedis } from '../server/redis.ts';
import { EXIT, loadConfigOrReport, type CliIo } from './cli-io.ts';

const USAGE = 'usage: leadstage rescore hubspot   (needs REDIS_URL, HUBSPOT_ACCESS_TOKEN, HUBSPOT_PORTAL_ID; running workers do the recompute)\n';

/** `leadstage rescore hubspot`: queue every contact of the portal for a recompute. */
export async function rescoreCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1 || args[0] !== 'hubspot') {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const parsed = parseEnv(io.env, { web: false });
  if (!parsed.ok) {
    for (const e of parsed.errors) io.stderr(`${e}\n`);
    return EXIT.invalid;
  }
  const env = parsed.env;
  if (!env.HUBSPOT_ACCESS_TOKEN || !env.HUBSPOT_PORTAL_ID) {
    io.stderr(`HUBSPOT_ACCESS_TOKEN and HUBSPOT_PORTAL_ID are required\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfigOrReport(configPathFromEnv(io.env), io);
  if (!config) return EXIT.invalid;
  const redis = createRedis(env.REDIS_URL, 'worker');
  const queues = createQueues(redis, env.LEADSTAGE_REDIS_PREFIX);
  try {
    const token = env.HUBSPOT_ACCESS_TOKEN;
    const crm = new HubSpotAdapter({
      config, accessToken: async () => token, timeoutMs: env.CRM_TIMEOUT_MS,
      limiter: new TenantRateLimiter(redis, env.LEADSTAGE_REDIS_PREFIX, { max: env.HUBSPOT_REQUESTS_PER_WINDOW, windowMs: env.HUBSPOT_WINDOW_MS, maxInlineWaitMs: 60_000 }),
      ...(env.HUBSPOT_API_BASE_URL ? { basePath: env.HUBSPOT_API_BASE_URL } : {}),
    });
    const n = await rescoreTenant({ crm: 'hubspot', id: env.HUBSPOT_PORTAL_ID }, { crm, redis, keys: new Keys(env.LEADSTAGE_REDIS_PREFIX), queues });
    io.stdout(`queued ${n} contacts of portal ${env.HUBSPOT_PORTAL_ID} for a recompute\n`);
    return EXIT.ok;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
