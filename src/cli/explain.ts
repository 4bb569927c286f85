import { parseArgs } from 'node:util';
import { CRMS } from '../app/crm-registry.ts';
import { planContact } from '../core/plan-contact.ts';
import { Keys } from '../platform/keys.ts';
import { createRedis } from '../platform/redis.ts';
import { ActivityStore } from '../store/activity-store.ts';
import { ScoreLedger } from '../store/score-ledger.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { formatLedger } from './format-ledger.ts';
import { EXIT, loadEnvAndConfig, tenantArg, type CliIo } from './cli-io.ts';
import { serveTenant } from './serve-tenant.ts';
import { formatPlan } from './format-plan.ts';

const USAGE =
  'usage: leadstage explain <crm:accountId> <contactId | objectType:contactId> [--json]\n' +
  '  why a contact has its score: read from the CRM, planned with its stored activities now\n';

/**
 * `leadstage explain`: read the contact from the CRM, take its activities as leadstage stored
 * them, and print the plan a recompute would make now — every rule with its points after decay
 * and caps, the fit criteria, the BANT gate, the stage decision — next to what the CRM shows.
 * Read-only: nothing is written.
 */
export async function explainCommand(args: string[], io: CliIo, clock: () => Date): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const tenant = tenantArg(positionals[0]);
  const module = tenant ? CRMS.find((c) => c.kind === tenant.crm) : undefined;
  if (!tenant || !module || positionals.length !== 2) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const [objectType, id] = positionals[1]!.includes(':')
    ? (positionals[1]!.split(':', 2) as [string, string])
    : [module.objectTypes[0]!, positionals[1]!];
  const loaded = loadEnvAndConfig(io);
  if (!loaded) return EXIT.invalid;
  const { env, config } = loaded;
  const redis = createRedis(env.REDIS_URL, 'worker');
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  try {
    const served = await serveTenant(io, { env, config, redis, keys }, tenant, 30_000);
    if (!served) return EXIT.invalid;
    const snapshot = (await served.crm.readContacts(tenant, [{ objectType, id }])).get(id);
    if (!snapshot) {
      io.stderr(`${module.kind} has no ${objectType} ${id} in ${tenant.id}\n`);
      return EXIT.invalid;
    }
    const now = clock();
    const activities = await new ActivityStore(redis, keys, {
      maxAgeDays: served.record.config.engagement.maxAgeDays,
    }).activities({ tenant, id }, now.getTime());
    const entries = (await new WorkerStore(redis, keys).stageEntries(tenant, [id])).get(id) ?? {};
    const result = planContact({
      contact: { ...snapshot, stageEntries: entries },
      activities,
      config: served.record.config,
      now,
    });
    if (!result.ok) {
      io.stderr(`${result.error.message}\n`);
      return EXIT.invalid;
    }
    const history = await new ScoreLedger(redis, keys).history(tenant, id);
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ crmShows: { stage: snapshot.stage, leadStatus: snapshot.leadStatus, ownerId: snapshot.ownerId, ...snapshot.scored }, activities: activities.length, plan: result.plan, history }, null, 2)}\n`,
      );
    } else {
      const shows = snapshot.scored;
      io.stdout(
        `In the CRM now  score ${shows?.score ?? '—'}, grade ${shows?.grade ?? '—'}, stage ${snapshot.stage ?? '—'}, lead status ${snapshot.leadStatus ?? '—'}\n`,
      );
      io.stdout(
        `Activities      ${activities.length} stored (the last ${served.record.config.engagement.maxAgeDays} days)\n\n`,
      );
      io.stdout(formatPlan(result.plan, served.record.config.businessHours.timezone));
      io.stdout(`\n${formatLedger(history)}`);
    }
    return EXIT.ok;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
