import type { ActivityRule, EngagementConfig } from './model.ts';
import { testCondition } from './conditions.ts';
import { readField } from './field-values.ts';
import type { Activity, ContactSnapshot, Reason } from './types.ts';

const DAY_MS = 86_400_000;

export interface EngagementResult {
  points: number;
  reasons: Reason[];
}

/** Weight of an activity `ageMs` old: 1 when new, 0.5 after one half-life. */
export function decayFactor(ageMs: number, halfLifeDays: number): number {
  return Math.pow(0.5, Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

/**
 * Activities newer than `since`, grouped by type, each group newest first with ties by id: sums
 * then add in one fixed order, so the plan is bit-identical however the activities arrived
 * (floating-point addition is not associative).
 */
function indexByType(activities: readonly Activity[], since: number): Map<string, Activity[]> {
  const byType = new Map<string, Activity[]>();
  for (const a of activities) {
    if (a.at < since) continue;
    const list = byType.get(a.type);
    if (list) list.push(a);
    else byType.set(a.type, [a]);
  }
  for (const list of byType.values()) list.sort((x, y) => y.at - x.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return byType;
}

function matchesRule(a: Activity, rule: ActivityRule, nowMs: number): boolean {
  if (a.type !== rule.activity) return false;
  if (!rule.where) return true;
  for (const [attr, cond] of Object.entries(rule.where)) {
    if (!testCondition(a.attributes[attr], cond, nowMs)) return false;
  }
  return true;
}

function clampToCap(sum: number, sign: number, cap: number | undefined): number {
  if (cap === undefined) return sum;
  return sign > 0 ? Math.min(sum, cap) : Math.max(sum, -cap);
}

/**
 * Engagement points: every matching rule adds (an activity may match several rules), decayed by
 * age, limited by rule caps, `maxCount` and group caps. Only the positive side of a group is
 * capped: a cap limits how much interest one channel can show, not how much a bounce can cost.
 */
export function scoreEngagement(
  contact: ContactSnapshot,
  activities: readonly Activity[],
  cfg: EngagementConfig,
  nowMs: number,
): EngagementResult {
  const maxAgeMs = cfg.maxAgeDays * DAY_MS;
  const byType = indexByType(activities, nowMs - maxAgeMs);
  const byGroup = new Map<string, number>();
  const reasons: Reason[] = [];
  let points = 0;

  const add = (reason: Reason, group: string | undefined) => {
    points += reason.points;
    if (group) byGroup.set(group, (byGroup.get(group) ?? 0) + reason.points);
    reasons.push(reason);
  };

  for (const rule of cfg.rules) {
    const candidates = byType.get(rule.activity);
    if (!candidates) continue;
    const all = rule.where ? candidates.filter((a) => matchesRule(a, rule, nowMs)) : candidates;
    if (all.length === 0) continue;
    const matched = rule.maxCount !== undefined ? all.slice(0, rule.maxCount) : all; // the most recent ones
    let sum = 0;
    for (const a of matched) sum += rule.points * (rule.decay ? decayFactor(nowMs - a.at, cfg.halfLifeDays) : 1);
    const capped = clampToCap(sum, Math.sign(rule.points), rule.cap);
    add(
      {
        kind: 'activity',
        ruleId: rule.id,
        points: capped,
        count: matched.length,
        ...(capped !== sum ? { note: `capped at ${rule.cap}` } : {}),
      },
      rule.group,
    );
  }

  for (const rule of cfg.propertyRules) {
    if (testCondition(readField(contact, rule.field), rule.when, nowMs)) {
      add({ kind: 'property', ruleId: rule.id, points: rule.points }, rule.group);
    }
  }

  for (const [group, total] of [...byGroup].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cap = cfg.groups[group]?.cap;
    if (cap !== undefined && total > cap) {
      add(
        { kind: 'group-cap', ruleId: group, points: cap - total, note: `group ${group} capped at ${cap}` },
        undefined,
      );
    }
  }
  return { points, reasons };
}
