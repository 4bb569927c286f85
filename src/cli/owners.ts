import { DateTime } from 'luxon';
import { parseArgs } from 'node:util';
import { Keys } from '../platform/keys.ts';
import { createRedis } from '../platform/redis.ts';
import { OwnerAwayStore } from '../store/owner-away-store.ts';
import { EXIT, loadEnvAndConfig, type CliIo } from './cli-io.ts';

const USAGE = `usage: leadstage owners list [--json]
       leadstage owners away <ownerKey> --until <YYYY-MM-DD | ISO time>
       leadstage owners back <ownerKey>
  away: the rotation skips the owner until then (a date means through that day, business-hours zone)
`;

/** `leadstage owners`: who is in the rotation, who is away (config days and short-notice marks). */
export async function ownersCommand(args: string[], io: CliIo, clock: () => Date): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { until: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [action, ownerKey] = positionals;
  if (
    !(action === 'list' && positionals.length === 1) &&
    !(action === 'away' && ownerKey && values.until) &&
    !(action === 'back' && ownerKey)
  ) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const loaded = loadEnvAndConfig(io);
  if (!loaded) return EXIT.invalid;
  const { env, config } = loaded;
  if (ownerKey && !config.assignment.owners.some((o) => o.key === ownerKey)) {
    io.stderr(`unknown owner "${ownerKey}" (owners: ${config.assignment.owners.map((o) => o.key).join(', ')})\n`);
    return EXIT.invalid;
  }
  const zone = config.businessHours.timezone;
  const now = clock();
  let untilMs = 0;
  if (action === 'away') {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(values.until!);
    const at = day
      ? DateTime.fromISO(values.until!, { zone }).plus({ days: 1 })
      : DateTime.fromISO(values.until!, { setZone: true });
    if (!at.isValid || at.toMillis() <= now.getTime()) {
      io.stderr(`--until: not a future date or time: ${values.until}\n${USAGE}`);
      return EXIT.usage;
    }
    untilMs = at.toMillis();
  }
  const redis = createRedis(env.REDIS_URL, 'worker');
  try {
    const store = new OwnerAwayStore(redis, new Keys(env.LEADSTAGE_REDIS_PREFIX));
    if (action === 'away') {
      await store.markAway(ownerKey!, untilMs);
      io.stdout(
        `${ownerKey} is away until ${DateTime.fromMillis(untilMs, { zone }).toISO()}: the rotation skips them\n`,
      );
      return EXIT.ok;
    }
    if (action === 'back') {
      io.stdout(
        (await store.markBack(ownerKey!))
          ? `${ownerKey} is back in the rotation\n`
          : `${ownerKey} was not marked away\n`,
      );
      return EXIT.ok;
    }
    const marked = await store.away(now.getTime());
    const today = DateTime.fromJSDate(now, { zone }).toISODate()!;
    const rows = config.assignment.owners.map((o) => {
      const day = (o.away ?? []).find((a) => a.from <= today && today <= a.until);
      const until = marked.get(o.key);
      const status = !o.active
        ? 'inactive (config)'
        : until
          ? `away until ${DateTime.fromMillis(until, { zone }).toISO()}`
          : day
            ? `away through ${day.until} (config)`
            : 'available';
      return { key: o.key, ids: o.ids, weight: o.weight, status };
    });
    if (values.json) io.stdout(`${JSON.stringify(rows)}\n`);
    else for (const r of rows) io.stdout(`${r.key.padEnd(16)} weight ${String(r.weight).padEnd(4)} ${r.status}\n`);
    return EXIT.ok;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
