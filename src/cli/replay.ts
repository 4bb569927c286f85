import { parseArgs } from 'node:util';
import { replayTenant } from '../../jobs/replay-tenant.ts';
import { CRMS } from '../app/crm-registry.ts';
import { Keys } from '../platform/keys.ts';
import { createQueues, requestRecompute } from '../platform/queues.ts';
import { createRedis } from '../platform/redis.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { EXIT, loadEnvAndConfig, tenantArg, type CliIo } from './cli-io.ts';
import { serveTenant } from './serve-tenant.ts';

const USAGE =
  'usage: leadstage replay <crm:accountId> --since <ISO time | 90m | 6h | 2d> [--max N] [--json]\n' +
  '  re-queue every contact the CRM says was modified since then (running workers recompute them)\n';

/** "2026-12-01T10:00:00Z", or a span back from now: 90m, 6h, 2d. Null when it is neither. */
export function parseSince(text: string, now: Date): Date | null {
  const span = /^(\d+)(m|h|d)$/.exec(text);
  if (span)
    return new Date(
      now.getTime() - Number(span[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd'],
    );
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(at) && at <= now.getTime() ? new Date(at) : null;
}

/** `leadstage replay <crm:accountId> --since <time>`: re-queue the contacts modified since then. */
export async function replayCommand(args: string[], io: CliIo, clock: () => Date): Promise<number> {
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args,
      allowPositionals: true,
      options: { since: { type: 'string' }, max: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsedArgs;
  const tenant = tenantArg(positionals[0]);
  const since = values.since ? parseSince(values.since, clock()) : null;
  const max = values.max === undefined ? 10_000 : Number(values.max);
  if (
    !tenant ||
    !CRMS.some((c) => c.kind === tenant.crm) ||
    positionals.length !== 1 ||
    !since ||
    !(Number.isInteger(max) && max > 0)
  ) {
    io.stderr(!since && values.since ? `--since: not a past time or span: ${values.since}\n${USAGE}` : USAGE);
    return EXIT.usage;
  }
  const loaded = loadEnvAndConfig(io);
  if (!loaded) return EXIT.invalid;
  const { env, config } = loaded;
  const redis = createRedis(env.REDIS_URL, 'worker');
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const queues = createQueues(redis, keys.prefix);
  try {
    const served = await serveTenant(io, { env, config, redis, keys }, tenant, 60_000);
    if (!served) return EXIT.invalid;
    const store = new WorkerStore(redis, keys);
    const r = await replayTenant(tenant, since, {
      crm: served.crm,
      maxRecords: max,
      maxQuotaShare: env.NONURGENT_MAX_QUOTA_SHARE,
      markPending: (t, refs) => store.markPending(t, refs),
      requestRecompute: (t) => requestRecompute(queues.recompute, t, 0),
    });
    if (!r.ok) {
      io.stderr(`${r.reason}\n`);
      return EXIT.invalid;
    }
    if (values.json) io.stdout(`${JSON.stringify({ tenant, since: since.toISOString(), ...r })}\n`);
    else {
      io.stdout(
        `queued ${r.queued} contacts of ${positionals[0]} modified since ${since.toISOString()} (${r.crmCalls} CRM calls)\n`,
      );
      if (r.stopped === 'quota')
        io.stderr(
          'stopped early: the account is near its daily API quota (NONURGENT_MAX_QUOTA_SHARE); run again later\n',
        );
      if (r.stopped === 'limit' && r.lastModifiedAt !== null) {
        io.stderr(
          `stopped at --max ${max}: run again with --since ${new Date(r.lastModifiedAt).toISOString()} for the rest\n`,
        );
      }
    }
    return EXIT.ok;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
