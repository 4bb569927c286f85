import { testCondition } from './conditions.ts';
import { readField } from './field-values.ts';
import type { Condition, EngagementConfig } from './model.ts';
import type { Activity, ContactSnapshot } from './types.ts';

const DAY_MS = 86_400_000;
const TIME_KEYS = ['withinDays', 'olderThanDays'] as const;
const timeBound = (c: Condition) => TIME_KEYS.some((k) => c[k] !== undefined);

/**
 * Engagement points as a function of time for one contact, for looking ahead (the next visible
 * change). Matching and sorting happen once; decay is factored as 0.5^((t−now)/h) × 0.5^((now−at)/h),
 * so with prefix sums of the per-activity weights an instant costs a binary search per rule, not a
 * pass over the activities. Equal to `scoreEngagement(…, t).points` up to floating-point rounding
 * (caps, group caps, `maxCount`, the history window all apply). Null when a rule's `where` depends
 * on time itself (withinDays on an attribute): then the caller evaluates in full.
 */
export function engagementCurve(
  contact: ContactSnapshot,
  activities: readonly Activity[],
  cfg: EngagementConfig,
  nowMs: number,
): ((t: number) => number) | null {
  if (cfg.rules.some((r) => r.where && Object.values(r.where).some(timeBound))) return null;
  const halfLifeMs = cfg.halfLifeDays * DAY_MS;
  const sorted = [...activities].sort((x, y) => y.at - x.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const byType = new Map<string, Activity[]>();
  for (const a of sorted) {
    const list = byType.get(a.type);
    if (list) list.push(a);
    else byType.set(a.type, [a]);
  }
  const lists = cfg.rules.map((rule) => {
    const ofType = byType.get(rule.activity) ?? [];
    const where = rule.where ? Object.entries(rule.where) : null;
    const matched = where
      ? ofType.filter((a) => where.every(([attr, c]) => testCondition(a.attributes[attr], c, nowMs)))
      : ofType;
    // ats newest first; prefix[i] = Σ of the first i weights 0.5^((now − at)/h).
    const ats = matched.map((a) => Math.min(a.at, nowMs));
    const prefix = [0];
    for (const at of ats) prefix.push(prefix[prefix.length - 1]! + Math.pow(0.5, (nowMs - at) / halfLifeMs));
    return { rule, ats, prefix };
  });
  const maxAgeMs = cfg.maxAgeDays * DAY_MS;
  return (t: number) => {
    const cutoff = t - maxAgeMs;
    const k = Math.pow(0.5, (t - nowMs) / halfLifeMs);
    const byGroup = new Map<string, number>();
    let points = 0;
    const add = (p: number, group: string | undefined) => {
      points += p;
      if (group) byGroup.set(group, (byGroup.get(group) ?? 0) + p);
    };
    for (const { rule, ats, prefix } of lists) {
      // How many are still in the window: the newest-first list cut at the first one before the cutoff.
      let lo = 0;
      let hi = ats.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ats[mid]! >= cutoff) lo = mid + 1;
        else hi = mid;
      }
      const n = rule.maxCount !== undefined ? Math.min(lo, rule.maxCount) : lo;
      if (n === 0) continue;
      const sum = rule.decay ? rule.points * k * prefix[n]! : rule.points * n;
      const capped =
        rule.cap === undefined ? sum : rule.points > 0 ? Math.min(sum, rule.cap) : Math.max(sum, -rule.cap);
      add(capped, rule.group);
    }
    for (const rule of cfg.propertyRules)
      if (testCondition(readField(contact, rule.field), rule.when, t)) add(rule.points, rule.group);
    for (const [group, total] of [...byGroup].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const cap = cfg.groups[group]?.cap;
      if (cap !== undefined && total > cap) points += cap - total;
    }
    return points;
  };
}
