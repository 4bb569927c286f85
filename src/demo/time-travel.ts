import { DateTime } from 'luxon';
import { stepAt } from '../core/escalation.ts';
import type { ShiftedClock } from '../platform/clock.ts';
import { Keys } from '../platform/keys.ts';
import type { Tenant } from '../platform/tenant.ts';
import type { Pipeline } from './pipeline.ts';
import { waitFor } from './wait-for.ts';
import type { Row } from './report.ts';

const MIN = 60_000;
const DAY = 86_400_000;

/** Nothing time-driven is due any more (SLA steps, decay) and the pipeline is idle. */
async function settled(p: Pipeline, clock: ShiftedClock, tenants: readonly Tenant[]): Promise<void> {
  const keys = new Keys(p.env.LEADSTAGE_REDIS_PREFIX);
  await waitFor(
    async () => {
      const now = clock.now().getTime();
      const due = await Promise.all(
        tenants
          .flatMap((t) => [keys.slaSchedule(t), keys.decaySchedule(t)])
          .map((k) => p.web.redis.zcount(k, '-inf', now)),
      );
      return due.every((n) => n === 0);
    },
    'the time-driven work to settle',
    60_000,
  );
  await p.drained();
}

export interface TimeReport {
  reminded: number;
  reassigned: number;
  escalated: number;
  retired: number;
  decayed: { name: string; from: number; to: number }[];
  recycled: string[];
}

/**
 * Time passes on the worker's clock: the VP's follow-up task falls due and nobody calls (reminder,
 * then reassignment to the next rep), then thirty quiet days (scores decay, stale MQLs go back to
 * nurture, every other open task climbs its SLA ladder). Nothing here sleeps for real.
 */
export async function playTime(
  p: Pipeline,
  clock: ShiftedClock,
  tenants: readonly Tenant[],
  rows: () => Row[],
  names: ReadonlyMap<string, string>,
  say: (s: string) => void,
): Promise<TimeReport> {
  const tz = p.config.businessHours.timezone;
  const start = clock.now().getTime();
  const stamp = () =>
    `${DateTime.fromMillis(clock.now().getTime(), { zone: tz }).toFormat('ccc HH:mm')} (+${formatSpan(clock.now().getTime() - start)})`;
  const hs = p.sandbox.hubspot;
  const vp = hs.tasks.find((t) => t.contactIds.includes('301'));
  if (vp) {
    const owner = vp.properties['hubspot_owner_id']!;
    const dueAt = Date.parse(vp.properties['hs_timestamp']!);
    clock.advanceTo(dueAt + MIN);
    await waitFor(() => vp.properties['hs_task_body']?.includes('SLA missed') ?? false, 'the reminder');
    say(
      `  ${stamp()}  Dana Ortiz's call task (${names.get(owner) ?? owner}) is past due and open: priority high, a note on the task`,
    );
    clock.advanceTo(stepAt(p.config, { crm: 'hubspot', ownerId: owner, step: 1, dueAt })! + MIN);
    await waitFor(() => hs.tasks.filter((t) => t.contactIds.includes('301')).length === 2, 'the reassignment');
    const next = hs.tasks.filter((t) => t.contactIds.includes('301'))[1]!.properties['hubspot_owner_id']!;
    say(
      `  ${stamp()}  still nobody called: reassigned to ${names.get(next) ?? next} (a new task, due in 5 minutes again); the first task completed with the reason`,
    );
  }
  await settled(p, clock, tenants);

  const before = new Map(rows().map((r) => [r.id, r]));
  clock.advance(30 * DAY);
  say(`  ${stamp()}  thirty quiet days later (the decay and SLA sweeps run every second on this clock)…`);
  await settled(p, clock, tenants);
  const after = rows();
  const decayed = after.flatMap((r) => {
    const b = before.get(r.id);
    return b?.score != null && r.score != null && r.score < b.score
      ? [{ name: r.name, from: b.score, to: r.score }]
      : [];
  });
  const recycled = after
    .filter(
      (r) =>
        /marketingqualifiedlead|^MQL$/.test(before.get(r.id)?.stage ?? '') &&
        !/marketingqualifiedlead|^MQL$/.test(r.stage),
    )
    .map((r) => r.name);
  const hsTasks = [...p.sandbox.hubspotPortals.values()].flatMap((face) => face.tasks);
  const bodies = [
    ...hsTasks.map((t) => t.properties['hs_task_body'] ?? ''),
    ...[...p.sandbox.salesforce.records.Task.values()].map((t) => String(t['Description'] ?? '')),
  ];
  const count = (re: RegExp) => bodies.reduce((n, b) => n + (b.match(re)?.length ?? 0), 0);
  return {
    reminded: count(/Priority raised to high/g),
    reassigned: count(/^\[leadstage\] Reassigned from/gm),
    escalated: count(/^\[leadstage\] Escalated to the manager/gm),
    retired: count(/Closed: the lead went back to/g),
    decayed,
    recycled,
  };
}

function formatSpan(ms: number): string {
  if (ms >= DAY) return `${Math.round(ms / DAY)} d`;
  if (ms >= 60 * MIN) return `${Math.round(ms / (60 * MIN))} h`;
  return `${Math.round(ms / MIN)} min`;
}
