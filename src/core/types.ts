import type { BantKey, LeadstageConfig, Priority } from './model.ts';

/** A flat field or attribute value as CRMs hold them. */
export type FieldValue = string | number | boolean | null;

/** A CRM's registry name ("hubspot", "salesforce", …): the core never branches on it. */
export type CrmKind = string;
/** The kind of record within a CRM ("contact"; Salesforce also "lead"). */
export type CrmObjectType = string;

/**
 * A contact as the adapter read it, already mapped to leadstage's vocabulary: `fields` keyed by
 * canonical name (see `crm.*.fields` in the config), stage and lead status as leadstage names.
 */
export interface ContactSnapshot {
  crm: CrmKind;
  /** The record kind within its CRM (HubSpot contacts are `contact`; Salesforce has `lead` too). */
  objectType: CrmObjectType;
  id: string;
  stage: string | null;
  leadStatus: string | null;
  /** The CRM's owner id (HubSpot owner id, Salesforce User id). */
  ownerId: string | null;
  fields: Record<string, FieldValue>;
  /** What leadstage last wrote, as read back from the CRM; used to write only what changed. */
  scored?: { score: number | null; grade: string | null; reasons: string | null };
  /** How many times leadstage has recorded this contact entering each stage (regression policies). */
  stageEntries?: Record<string, number>;
}

/** Something the contact did. `at` is epoch milliseconds. */
export interface Activity {
  id: string;
  type: string;
  at: number;
  attributes: Record<string, FieldValue>;
}

/** Shared owner-rotation state, kept by the worker in Redis and updated atomically. */
export interface AssignmentState {
  /** poolId → owner key → smooth weighted round-robin credit. */
  rotation: Record<string, Record<string, number>>;
  /** CRM owner ids the CRM reports as deactivated or archived. */
  unavailableOwnerIds?: readonly string[];
}

export interface PlanInput {
  contact: ContactSnapshot;
  activities: readonly Activity[];
  config: LeadstageConfig;
  /** The instant to plan for; the core never reads a clock. */
  now: Date;
  assignment?: AssignmentState;
}

export type ReasonKind = 'activity' | 'property' | 'group-cap' | 'fit' | 'disqualify' | 'bant';

/** One rule's contribution. `points` are after decay and caps. */
export interface Reason {
  kind: ReasonKind;
  ruleId: string;
  points: number;
  /** Matching activities that counted. */
  count?: number;
  note?: string;
}

export interface PlannedTask {
  /** Deterministic: same contact, rule and stage entry → same key, so a retry never makes a second task. */
  key: string;
  ruleId: string;
  stage: string;
  subject: string;
  body: string;
  type: 'call' | 'email' | 'todo';
  priority: Priority;
  /** ISO 8601, UTC. */
  dueAt: string;
  slaRuleId: string;
  ownerId: string | null;
}

export interface OwnerDecision {
  ownerId: string | null;
  ownerKey: string | null;
  source: 'existing' | 'rotation' | 'none';
  poolId: string | null;
}

/** Only the fields whose value differs from the snapshot; an empty object means write nothing. */
export interface PlanChanges {
  score?: number;
  grade?: string;
  reasons?: string;
  stage?: string;
  leadStatus?: string;
  ownerId?: string;
}

export interface Plan {
  contact: { crm: CrmKind; objectType: CrmObjectType; id: string };
  plannedAt: string;
  score: { total: number; fit: number; engagement: number };
  grade: string;
  disqualified: { ruleId: string; reason: string } | null;
  bant: { satisfied: BantKey[]; count: number };
  /** `recycled`: moved back by the config's recycle rule (a stale handoff sales never worked). */
  stage: { from: string | null; to: string | null; changed: boolean; reason: string; recycled?: true };
  /** The lead status leadstage wants, or null for "no opinion" (sales owns it). */
  leadStatus: string | null;
  owner: OwnerDecision | null;
  /** The rotation credit to store if the plan is applied (only when the rotation picked an owner). */
  rotation: { poolId: string; credits: Record<string, number> } | null;
  tasks: PlannedTask[];
  reasons: Reason[];
  reasonText: string;
  changes: PlanChanges;
  /**
   * ISO instant at which, with no new event, decay would next change what the CRM shows (score by
   * `engagement.decayStep`, stage or lead status); null when time alone changes nothing.
   */
  nextChangeAt: string | null;
  warnings: string[];
}

export type PlanErrorCode = 'invalid_now' | 'invalid_contact';
export interface PlanError {
  code: PlanErrorCode;
  message: string;
}
export type PlanResult = { ok: true; plan: Plan } | { ok: false; error: PlanError };
