import { parseArgs } from 'node:util';
import { parseEnv } from '../platform/env.ts';
import { Keys } from '../platform/keys.ts';
import { createQueues, requestRecompute } from '../platform/queues.ts';
import { createRedis } from '../platform/redis.ts';
import { tenantKey } from '../platform/tenant.ts';
import { DeadLetterStore, type DeadLetter } from '../store/dead-letters.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { EXIT, tenantArg, type CliIo } from './cli-io.ts';

const USAGE = `usage: leadstage dead-letter list|show|retry|discard --tenant <crm:accountId> [--id <objectType:id> ...] [--json]
  list     the records the CRM refused for good: kind, record, reason, first and last seen, count
  show     the --id records in full (the whole reason, not cut to the table's width)
  retry    queue the records (all, or --id ones) for a recompute, and drop them from the list
  discard  drop them from the list without retrying
`;

function table(letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  const rows = letters.map((l) => [
    l.kind,
    `${l.objectType}:${l.id}`,
    String(l.count),
    l.firstSeenAt,
    l.lastSeenAt,
    l.reason,
  ]);
  const head = ['kind', 'record', 'count', 'first seen', 'last seen', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.slice(0, 1_000).map((r) => Math.min(r[i]!.length, 60))));
  const line = (r: string[]) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.slice(0, 60).padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function detail(l: DeadLetter): string {
  return `record      ${l.objectType}:${l.id} (${l.kind})\nseen        ${l.count}× — first ${l.firstSeenAt}, last ${l.lastSeenAt}\nreason      ${l.reason}\n`;
}

/** `leadstage dead-letter …`: see and act on a tenant's dead-letter list (needs REDIS_URL). */
export async function deadLetterCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        id: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const [action, ...extra] = parsed.positionals;
  const tenant = tenantArg(parsed.values.tenant);
  if (
    !action ||
    !['list', 'show', 'retry', 'discard'].includes(action) ||
    extra.length ||
    !tenant ||
    (action === 'show' && !parsed.values.id?.length)
  ) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const env = parseEnv(io.env, { web: false });
  if (!env.ok) {
    for (const e of env.errors) io.stderr(`${e}\n`);
    return EXIT.invalid;
  }
  const redis = createRedis(env.env.REDIS_URL, 'worker');
  const keys = new Keys(env.env.LEADSTAGE_REDIS_PREFIX);
  const store = new DeadLetterStore(redis, keys);
  try {
    const all = await store.list(tenant);
    const wanted = parsed.values.id?.length
      ? all.filter((l) => parsed.values.id!.includes(`${l.objectType}:${l.id}`))
      : all;
    if (action === 'list') {
      io.stdout(parsed.values.json ? `${JSON.stringify(wanted, null, 2)}\n` : table(wanted));
      return EXIT.ok;
    }
    if (action === 'show') {
      const missing = parsed.values.id!.filter((id) => !wanted.some((l) => `${l.objectType}:${l.id}` === id));
      if (missing.length) {
        io.stderr(`no dead letter for ${missing.join(', ')} in ${tenantKey(tenant)}\n`);
        return EXIT.invalid;
      }
      io.stdout(parsed.values.json ? `${JSON.stringify(wanted, null, 2)}\n` : wanted.map(detail).join('\n'));
      return EXIT.ok;
    }
    if (action === 'retry' && wanted.length) {
      const queues = createQueues(redis, keys.prefix);
      try {
        // A failed job names no record: queuing the tenant resumes its batch (still in flight).
        const records = wanted.filter((l) => l.kind !== 'job');
        if (records.length) await new WorkerStore(redis, keys).markPending(tenant, records);
        await requestRecompute(queues.recompute, tenant, 0);
      } finally {
        await queues.close();
      }
    }
    const removed = await store.remove(tenant, wanted);
    const verb = action === 'retry' ? 'queued for a recompute' : 'discarded';
    io.stdout(
      parsed.values.json ? `${JSON.stringify({ [action]: removed })}\n` : `${removed} dead letter(s) ${verb}\n`,
    );
    return EXIT.ok;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
