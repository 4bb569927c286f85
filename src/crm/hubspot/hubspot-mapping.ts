import type { CrmObjectMapping } from '../../core/model.ts';
import type { ContactSnapshot, FieldValue } from '../../core/types.ts';
import { reverse, type ContactWrite } from '../../platform/crm-port.ts';

export const OWNER_PROPERTY = 'hubspot_owner_id';
export const STAGE_PROPERTY = 'lifecyclestage';

/** Exactly the properties leadstage reads: mapped fields, its own outputs, the owner. */
export function readProperties(m: CrmObjectMapping): string[] {
  const w = m.write;
  return [
    ...new Set(
      [...Object.values(m.fields), w.score, w.fitGrade, w.reasons, w.stage, w.leadStatus, OWNER_PROPERTY].filter(
        (p): p is string => Boolean(p),
      ),
    ),
  ].sort();
}

const blank = (v: string | null | undefined): v is null | undefined | '' => v === null || v === undefined || v === '';

/** A HubSpot contact record → the core's snapshot (fields by canonical name, stage by leadstage name). */
export function toSnapshot(id: string, props: Record<string, string | null>, m: CrmObjectMapping): ContactSnapshot {
  const fields: Record<string, FieldValue> = {};
  for (const [canonical, prop] of Object.entries(m.fields)) fields[canonical] = props[prop] ?? null;
  const stages = reverse(m.stageValues);
  const statuses = reverse(m.leadStatusValues);
  const rawStage = m.write.stage ? props[m.write.stage] : undefined;
  const rawStatus = m.write.leadStatus ? props[m.write.leadStatus] : undefined;
  const score = m.write.score ? props[m.write.score] : undefined;
  return {
    crm: 'hubspot',
    objectType: 'contact',
    id,
    stage: blank(rawStage) ? null : (stages.get(rawStage) ?? rawStage),
    // A status leadstage does not know (a sales status) stays as is: the core never overwrites it.
    leadStatus: blank(rawStatus) ? null : (statuses.get(rawStatus) ?? rawStatus),
    ownerId: blank(props[OWNER_PROPERTY]) ? null : props[OWNER_PROPERTY]!,
    fields,
    scored: {
      score: blank(score) || !Number.isFinite(Number(score)) ? null : Number(score),
      grade: (m.write.fitGrade && props[m.write.fitGrade]) || null,
      reasons: (m.write.reasons && props[m.write.reasons]) || null,
    },
  };
}

/**
 * The properties to send for one write: only the changed ones. A move back in lifecyclestage
 * (allowed by the regression policy) needs two requests, since HubSpot ignores backward values:
 * `first` clears the stage, `second` sets the earlier one.
 */
export function toProperties(
  w: ContactWrite,
  m: CrmObjectMapping,
  stages: readonly string[],
): { first: Record<string, string>; second: Record<string, string> | null } {
  const c = w.changes;
  const props: Record<string, string> = {};
  const set = (prop: string | undefined, value: string | undefined) => {
    if (prop && value !== undefined) props[prop] = value;
  };
  set(m.write.score, c.score === undefined ? undefined : String(c.score));
  set(m.write.fitGrade, c.grade);
  set(m.write.reasons, c.reasons);
  set(m.write.leadStatus, c.leadStatus === undefined ? undefined : (m.leadStatusValues[c.leadStatus] ?? c.leadStatus));
  set(OWNER_PROPERTY, c.ownerId);
  let second: Record<string, string> | null = null;
  if (c.stage !== undefined && m.write.stage) {
    const value = m.stageValues[c.stage] ?? c.stage;
    const backwards = w.fromStage !== null && stages.indexOf(c.stage) < stages.indexOf(w.fromStage);
    if (backwards && m.write.stage === STAGE_PROPERTY) {
      props[STAGE_PROPERTY] = '';
      second = { [STAGE_PROPERTY]: value };
    } else {
      props[m.write.stage] = value;
    }
  }
  if (Object.keys(props).length > 0) set(m.write.scoredAt, w.scoredAt.toISOString());
  return { first: props, second };
}
