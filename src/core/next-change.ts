import { engagementCurve } from './engagement-curve.ts';
import { scoreEngagement } from './engagement.ts';
import { gradeRank } from './fit.ts';
import { decideLeadStatus, placeStage, type StageFacts } from './lifecycle.ts';
import type { LeadstageConfig } from './model.ts';
import type { Activity, ContactSnapshot, Plan } from './types.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** What a plan makes visible in the CRM and can change by time alone. */
interface Visible {
  score: number;
  stage: string | null;
  leadStatus: string | null;
}

/**
 * The next instant at which this contact's visible values would change with no new event:
 * the score moves by at least `engagement.decayStep` points, or decay moves the stage (when the
 * regression policy allows) or the lead status. Found by probing forward on a doubling grid (15
 * minutes, 30, 1 h, … up to the activity horizon, plus each activity's age-out instant) and
 * bisecting the first interval where something changed, to 5-minute precision. Null: nothing
 * changes by time alone. Pure, like the rest of the core: `now` comes from the plan's input.
 */
export function nextVisibleChange(
  plan: Plan,
  contact: ContactSnapshot,
  activities: readonly Activity[],
  config: LeadstageConfig,
  nowMs: number,
): number | null {
  const decaying = config.engagement.rules.some((r) => r.decay) || activities.length > 0;
  if (!decaying) return null;
  const step = config.engagement.decayStep;
  const after: ContactSnapshot = {
    ...contact,
    stage: plan.stage.to ?? contact.stage,
    leadStatus: plan.leadStatus ?? contact.leadStatus,
  };
  const base: Visible = { score: plan.score.total, stage: after.stage, leadStatus: after.leadStatus };
  const rankOf = (g: string) => gradeRank(config.fit, g);
  const gradeRankNow = rankOf(plan.grade);

  // One pass of decay factors per instant (the full evaluation only when rules depend on time).
  const curve = engagementCurve(contact, activities, config.engagement, nowMs);
  const engagementAt = curve ?? ((t: number) => scoreEngagement(contact, activities, config.engagement, t).points);
  const visibleAt = (t: number): Visible => {
    const e = engagementAt(t);
    const score = plan.disqualified ? 0 : Math.round(plan.score.fit + e); // as planContact scores it
    const facts: StageFacts = {
      score,
      engagement: Math.round(e),
      gradeRank: gradeRankNow,
      bantCount: plan.bant.count,
      disqualified: plan.disqualified !== null,
    };
    const placement = placeStage(config.lifecycle, after.stage, facts, rankOf, after.leadStatus);
    const status = decideLeadStatus(config.lifecycle, placement, after.leadStatus, facts, rankOf);
    return { score, stage: placement.to, leadStatus: status ?? after.leadStatus };
  };
  const changed = (v: Visible) =>
    Math.abs(v.score - base.score) >= step || v.stage !== base.stage || v.leadStatus !== base.leadStatus;

  // Candidate instants: a doubling grid, and the moments activities leave the history window.
  const horizon = nowMs + config.engagement.maxAgeDays * DAY + MINUTE;
  const probes = new Set<number>();
  for (let d = 15 * MINUTE; nowMs + d < horizon; d *= 2) probes.add(nowMs + d);
  // The first activity to leave the history window (one probe, not one per activity).
  const firstOut = Math.min(
    ...activities.map((a) => a.at + config.engagement.maxAgeDays * DAY + MINUTE).filter((t) => t > nowMs),
  );
  if (Number.isFinite(firstOut) && firstOut <= horizon) probes.add(firstOut);
  probes.add(horizon);
  let lo = nowMs;
  for (const t of [...probes].sort((a, b) => a - b)) {
    if (!changed(visibleAt(t))) {
      lo = t;
      continue;
    }
    let hi = t;
    // To 5 minutes, or 0.5 % of the lead time when the change is far off (a little early is harmless:
    // the replan then finds nothing to write and schedules the next instant).
    const precision = Math.max(5 * MINUTE, (hi - nowMs) / 200);
    while (hi - lo > precision) {
      const mid = Math.floor((lo + hi) / 2);
      if (changed(visibleAt(mid))) hi = mid;
      else lo = mid;
    }
    return hi;
  }
  return null;
}
