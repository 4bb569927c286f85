import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rescoreTenant } from '../../jobs/rescore-tenant.ts';
import { configVersion } from '../app/config-source.ts';
import { CRMS } from '../app/crm-registry.ts';
import { configPathFromEnv } from '../config/load-config.ts';
import { systemClock } from '../platform/clock.ts';
import type { CrmOwner } from '../platform/crm-port.ts';
import { Keys } from '../platform/keys.ts';
import { createQueues, requestRecompute } from '../platform/queues.ts';
import { createRedis } from '../platform/redis.ts';
import { tenantKey } from '../platform/tenant.ts';
import { ActivityStore } from '../store/activity-store.ts';
import { DeadLetterStore } from '../store/dead-letters.ts';
import { DecayStore } from '../store/decay-store.ts';
import { OwnerAwayStore } from '../store/owner-away-store.ts';
import { RescoreCheckpointStore } from '../store/rescore-checkpoints.ts';
import { ScoreLedger } from '../store/score-ledger.ts';
import { SlaStore } from '../store/sla-store.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { EXIT, loadEnvAndConfig, tenantArg, type CliIo } from './cli-io.ts';
import { progressBar, progressLines, summaryJson } from './rescore-progress.ts';
import { serveTenant } from './serve-tenant.ts';

const USAGE =
  'usage: leadstage rescore <crm:accountId> [--restart] [--every N] [--json]\n' +
  '  read every contact of the account page by page, rescore it with the current config and write only\n' +
  '  what changed. Resumes where a stopped run left off (--restart: from the first page). Its CRM calls\n' +
  '  yield to live work. Progress every N pages (default 10) on stderr; --json: the summary as JSON.\n';

/** `leadstage rescore <crm:accountId>`: rescore every contact of the account at the CRM-call floor. */
export async function rescoreCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        restart: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        every: { type: 'string' },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const tenant = tenantArg(positionals[0]);
  const every = values.every === undefined ? 10 : Number(values.every);
  if (
    !tenant ||
    !CRMS.some((c) => c.kind === tenant.crm) ||
    positionals.length !== 1 ||
    !(Number.isInteger(every) && every > 0)
  ) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const loaded = loadEnvAndConfig(io);
  if (!loaded) return EXIT.invalid;
  const { env, config } = loaded;
  const redis = createRedis(env.REDIS_URL, 'worker');
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const queues = createQueues(redis, keys.prefix);
  try {
    // Low priority: every call of this process yields to the live recomputes in the tenant's quota.
    const served = await serveTenant(io, { env, config, redis, keys }, tenant, 60_000, { priority: 'low' });
    if (!served) return EXIT.invalid;
    const { crm, record } = served;
    const store = new WorkerStore(redis, keys);
    const away = new OwnerAwayStore(redis, keys);
    let owners: Promise<CrmOwner[]> | null = null;
    const callsBefore = crm.calls;
    const total = values.json ? null : ((await crm.countContacts?.(tenant).catch(() => null)) ?? null);
    const label = `rescore ${tenantKey(tenant)}`;
    // A terminal gets a redrawn bar; logs and pipes get a plain line every N pages.
    const bar = io.terminal && total !== null ? progressBar(io.terminal, total, label) : null;
    const summary = await rescoreTenant(tenant, {
      config: record.config,
      crm,
      store,
      clock: systemClock,
      activities: new ActivityStore(redis, keys, { maxAgeDays: record.config.engagement.maxAgeDays }),
      deadLetters: new DeadLetterStore(redis, keys),
      decay: new DecayStore(redis, keys),
      ledger: new ScoreLedger(redis, keys),
      sla: new SlaStore(redis, keys), // the tasks a rescore creates are watched for their SLA, as the worker's are
      checkpoints: new RescoreCheckpointStore(redis, keys),
      owners: (t) => (owners ??= crm.listOwners(t)),
      awayOwners: () => away.away(systemClock.now().getTime()),
      handOver: async (t, refs) => {
        await store.markPending(t, refs);
        await requestRecompute(queues.recompute, t, 0);
      },
      restart: values.restart,
      maxQuotaShare: env.NONURGENT_MAX_QUOTA_SHARE,
      onProgress: bar ? bar.update : progressLines({ write: io.stderr, everyPages: every, total, label }),
      ...versionOf(io),
    }).finally(() => bar?.stop()); // the bar leaves its last state on screen, and the cursor back
    const calls = crm.calls - callsBefore;
    const out = summaryJson(summary, calls);
    if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
    else {
      const resumed = summary.resumedFrom ? ' (resumed)' : '';
      io.stdout(
        `rescored ${tenantKey(tenant)}${resumed}: ${summary.read} contacts read, ${summary.changed} changed ` +
          `(${(100 * out.shareChanged).toFixed(1)} %), ${calls} CRM calls for a floor of ${summary.floor} ` +
          `(${out.ratio?.toFixed(2) ?? '–'}×), ${(summary.ms / 1000).toFixed(1)} s\n`,
      );
      if (summary.deadLettered)
        io.stdout(
          `${summary.deadLettered} refused by the CRM: leadstage dead-letter list --tenant ${tenantKey(tenant)}\n`,
        );
      if (summary.handedOver) io.stdout(`${summary.handedOver} failed for now and were queued for the workers\n`);
    }
    if (summary.stopped === 'quota') {
      io.stderr(
        `stopped early: the account has used ${(summary.stoppedAtQuotaShare! * 100).toFixed(0)} % of its daily API quota ` +
          '(NONURGENT_MAX_QUOTA_SHARE); run again later to go on from here\n',
      );
    }
    return EXIT.ok;
  } catch (err) {
    io.stderr(
      `rescore stopped: ${(err as Error).message}\nrun the same command again to go on from the last finished page\n`,
    );
    return EXIT.invalid;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** The config file's version, recorded in the score ledger like the worker's (nothing when unreadable). */
function versionOf(io: CliIo): { configVersion?: string } {
  try {
    return { configVersion: configVersion(readFileSync(configPathFromEnv(io.env), 'utf8')) };
  } catch {
    return {};
  }
}
