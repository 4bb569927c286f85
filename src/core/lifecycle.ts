import type { LifecycleConfig, StageCriteria } from './model.ts';

/** What the stage criteria look at, already computed by the scoring steps. */
export interface StageFacts {
  score: number;
  engagement: number;
  /** 0 is the best grade. */
  gradeRank: number;
  bantCount: number;
  disqualified: boolean;
}

export interface StagePlacement {
  from: string | null;
  to: string | null;
  changed: boolean;
  reason: string;
  warning?: string;
  /** Moved back by the recycle rule: the lead status becomes the rule's. */
  recycled?: true;
}

/** Criteria that are not met, in words; an empty list means the stage is earned. */
export function unmetCriteria(c: StageCriteria, facts: StageFacts, rankOf: (grade: string) => number): string[] {
  const unmet: string[] = [];
  if (c.minScore !== undefined && facts.score < c.minScore) unmet.push(`score ${facts.score} < ${c.minScore}`);
  if (c.minEngagement !== undefined && facts.engagement < c.minEngagement)
    unmet.push(`engagement ${facts.engagement} < ${c.minEngagement}`);
  if (c.minGrade !== undefined && facts.gradeRank > rankOf(c.minGrade)) unmet.push(`grade below ${c.minGrade}`);
  if (c.minBant !== undefined && facts.bantCount < c.minBant) unmet.push(`BANT ${facts.bantCount} < ${c.minBant}`);
  return unmet;
}

function describe(c: StageCriteria): string {
  const parts: string[] = [];
  if (c.minScore !== undefined) parts.push(`score ≥ ${c.minScore}`);
  if (c.minEngagement !== undefined) parts.push(`engagement ≥ ${c.minEngagement}`);
  if (c.minGrade !== undefined) parts.push(`grade ≥ ${c.minGrade}`);
  if (c.minBant !== undefined) parts.push(`BANT ≥ ${c.minBant}`);
  return parts.length ? parts.join(', ') : 'baseline';
}

/** The highest stage whose criteria the contact meets (disqualified contacts capped), or null. */
export function earnedStage(cfg: LifecycleConfig, facts: StageFacts, rankOf: (grade: string) => number): string | null {
  const cap = facts.disqualified ? cfg.stages.indexOf(cfg.disqualifiedMaxStage) : cfg.stages.length - 1;
  let earned: string | null = null;
  cfg.stages.forEach((stage, i) => {
    const c = cfg.criteria[stage];
    if (c && i <= cap && unmetCriteria(c, facts, rankOf).length === 0) earned = stage;
  });
  return earned;
}

/**
 * The recycle rule: a handoff gone stale (criteria of its stage no longer met, sales never started:
 * the lead status is none, ours or the handoff one) goes back to marketing. Null: not recycled.
 */
function recycle(
  cfg: LifecycleConfig,
  current: string,
  currentStatus: string | null,
  facts: StageFacts,
  rankOf: (grade: string) => number,
): StagePlacement | null {
  const rule = cfg.recycle;
  const criteria = cfg.criteria[current];
  if (!rule || !criteria || !rule.from.includes(current)) return null;
  const untouchedBySales = [null, cfg.leadStatus.onHandoff, cfg.leadStatus.nurture, rule.leadStatus].includes(
    currentStatus,
  );
  const unmet = unmetCriteria(criteria, facts, rankOf);
  if (!untouchedBySales || unmet.length === 0) return null;
  return {
    from: current,
    to: rule.to,
    changed: true,
    recycled: true,
    reason: `recycled to ${rule.to}: no longer meets ${current} (${unmet.join(', ')}) and sales has not worked it`,
  };
}

/**
 * Where the contact belongs. Sales-owned stages are never touched; an unknown current stage (a
 * custom CRM value the config does not list) is left alone with a warning rather than guessed at.
 * Under `regression: never` a contact only moves forward, except by the recycle rule.
 */
export function placeStage(
  cfg: LifecycleConfig,
  current: string | null,
  facts: StageFacts,
  rankOf: (grade: string) => number,
  currentStatus: string | null = null,
): StagePlacement {
  const keep = (reason: string, warning?: string): StagePlacement => ({
    from: current,
    to: current,
    changed: false,
    reason,
    ...(warning ? { warning } : {}),
  });
  if (current !== null && !cfg.stages.includes(current)) {
    return keep(
      'stage not in the configured funnel; left alone',
      `current stage "${current}" is not in lifecycle.stages`,
    );
  }
  if (current !== null && cfg.untouched.includes(current)) return keep(`${current} is owned by sales`);

  const earned = earnedStage(cfg, facts, rankOf);
  const idx = (s: string | null) => (s === null ? -1 : cfg.stages.indexOf(s));
  // Recycling applies only where the contact has not earned its stage or a later one again.
  const recycled =
    current !== null && idx(earned) < idx(current) ? recycle(cfg, current, currentStatus, facts, rankOf) : null;
  if (recycled) return recycled;
  let to: string | null;
  if (cfg.regression === 'never') to = idx(earned) > idx(current) ? earned : current;
  else to = earned ?? current;

  if (to === current) {
    const why =
      earned === current || earned === null ? 'criteria unchanged' : `earned ${earned}, but stages never move back`;
    return keep(why);
  }
  const criteria = cfg.criteria[to!];
  const direction = idx(to) > idx(current) ? 'meets' : 'no longer meets the next stage; falls back to';
  const reason = direction === 'meets' ? `meets ${to}: ${describe(criteria ?? {})}` : `${direction} ${to}`;
  return { from: current, to, changed: true, reason };
}

/**
 * The lead status leadstage wants, or null for "no opinion". leadstage never overwrites a status
 * sales has moved on (working, connected …): it sets one only where none is set, or where the
 * previous one was its own nurture status.
 */
export function decideLeadStatus(
  cfg: LifecycleConfig,
  placement: StagePlacement,
  currentStatus: string | null,
  facts: StageFacts,
  rankOf: (grade: string) => number,
): string | null {
  if (placement.to !== null && cfg.untouched.includes(placement.to)) return null;
  if (placement.warning) return null;
  if (facts.disqualified) return cfg.leadStatus.disqualified;
  if (placement.recycled && cfg.recycle) return cfg.recycle.leadStatus;
  const open = currentStatus === null || currentStatus === cfg.leadStatus.nurture;
  const idx = (s: string | null) => (s === null ? -1 : cfg.stages.indexOf(s));
  if (
    placement.changed &&
    placement.to !== null &&
    cfg.handoffStages.includes(placement.to) &&
    idx(placement.to) > idx(placement.from)
  ) {
    return open ? cfg.leadStatus.onHandoff : null;
  }
  // Poor fit, good engagement: the handoff criteria hold except the grade. Marketing nurtures.
  const poorFit = cfg.handoffStages.some((stage) => {
    const c = cfg.criteria[stage];
    if (!c || c.minGrade === undefined || idx(placement.to) >= idx(stage)) return false;
    return (
      unmetCriteria(c, facts, rankOf).length === 1 &&
      unmetCriteria({ minGrade: c.minGrade }, facts, rankOf).length === 1
    );
  });
  if (poorFit && open) return cfg.leadStatus.nurture;
  return null;
}
