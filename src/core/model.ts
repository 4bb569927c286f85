/**
 * The scoring model the core computes with: the admin config after validation. The core owns these
 * types (it imports nothing of ours); `src/config` validates a YAML file into exactly this shape,
 * and the compiler checks that the validated output is assignable here.
 */

/** A value a condition compares against: CRM fields and activity attributes are flat scalars. */
export type Scalar = string | number | boolean;

/** A test on one value; every operator given must hold. String comparisons ignore case. */
export interface Condition {
  equals?: Scalar;
  notEquals?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  contains?: string;
  notContains?: string;
  matches?: string;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  between?: [number, number];
  exists?: boolean;
  withinDays?: number;
  olderThanDays?: number;
}

export interface FieldCondition {
  field: string;
  when: Condition;
}

/** Either `field` + `when`, or `anyOf`, or `allOf`. */
export interface FieldTest {
  field?: string | undefined;
  when?: Condition | undefined;
  anyOf?: FieldCondition[] | undefined;
  allOf?: FieldCondition[] | undefined;
}

export interface ActivityRule {
  id: string;
  activity: string;
  where?: Record<string, Condition> | undefined;
  points: number;
  cap?: number | undefined;
  maxCount?: number | undefined;
  group?: string | undefined;
  decay: boolean;
}

export interface PropertyRule {
  id: string;
  field: string;
  when: Condition;
  points: number;
  group?: string | undefined;
}

export interface EngagementConfig {
  halfLifeDays: number;
  /** Decay reaches the CRM when the score has moved by at least this many points (default 1). */
  decayStep: number;
  maxAgeDays: number;
  customActivityTypes: string[];
  groups: Record<string, { cap: number }>;
  rules: ActivityRule[];
  propertyRules: PropertyRule[];
}

export interface FitConfig {
  rules: (FieldTest & { id: string; points: number })[];
  grades: { grade: string; minPoints?: number | undefined }[];
  disqualify: (FieldTest & { id: string; reason: string })[];
}

export type BantKey = 'budget' | 'authority' | 'need' | 'timing';

export interface QualificationConfig {
  criteria: Partial<Record<BantKey, FieldTest>>;
}

export interface StageCriteria {
  minScore?: number | undefined;
  minEngagement?: number | undefined;
  minGrade?: string | undefined;
  minBant?: number | undefined;
}

export interface LifecycleConfig {
  stages: string[];
  untouched: string[];
  regression: 'never' | 'allow';
  criteria: Record<string, StageCriteria>;
  handoffStages: string[];
  leadStatus: { onHandoff: string; nurture: string; disqualified: string };
  disqualifiedMaxStage: string;
  /** Stale handoffs go back to marketing (see lifecycle.ts, recycle). */
  recycle?: RecycleRule | undefined;
}

export interface RecycleRule {
  /** Stages a contact leaves when it no longer meets their criteria while sales has not worked it. */
  from: string[];
  /** The stage it goes back to. */
  to: string;
  /** The lead status it gets. */
  leadStatus: string;
}

export interface BusinessHours {
  timezone: string;
  days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  start: string;
  end: string;
  holidays: string[];
}

export interface Duration {
  minutes?: number | undefined;
  hours?: number | undefined;
  businessDays?: number | undefined;
  calendar: boolean;
}

export type Priority = 'low' | 'medium' | 'high';

export interface SlaRule {
  id: string;
  whenActivity?: string[] | undefined;
  withinHours: number;
  whenMinGrade?: string | undefined;
  due: Duration;
  priority?: Priority | undefined;
}

export interface TaskRule {
  id: string;
  onEnter: string;
  subject: string;
  body: string;
  type: 'call' | 'email' | 'todo';
  priority: Priority;
  sla: SlaRule[];
}

export interface OwnerConfig {
  key: string;
  /** The owner's id in each CRM, by CRM kind (HubSpot owner id, Salesforce User id, …). */
  ids: Record<string, string>;
  weight: number;
  active: boolean;
  /** Whole days away (YYYY-MM-DD, inclusive, business-hours zone). */
  away?: { from: string; until: string }[] | undefined;
  /** The team (assignment.teams) whose time zone runs this owner's SLA clock and whose manager escalations reach. */
  team?: string | undefined;
}

/** A sales team: its own time zone for the SLA clock (same working days and hours) and its manager. */
export interface TeamConfig {
  id: string;
  /** IANA zone; absent: businessHours.timezone. */
  timezone?: string | undefined;
  /** Owner key of the manager that the last escalation step reaches. */
  manager?: string | undefined;
}

export type EscalationAction = 'remind' | 'reassign' | 'escalate';

export interface EscalationStep {
  /** Business time after the due date of the task open at that point (a reassigned task has its own). */
  after: Duration;
  action: EscalationAction;
}

/** What happens when a follow-up task's SLA passes with the task open and the contact not contacted. */
export interface EscalationConfig {
  /** Activities that count as "contacted" (the SLA is met once one happens after the task was created). */
  contactedBy: string[];
  steps: EscalationStep[];
  /** Manager (owner key) for owners without a team manager. */
  manager?: string | undefined;
  /** Contacts reassigned because their owner was away go back to that owner on return. */
  returnWhenBack: boolean;
}

export interface AssignmentConfig {
  keepExistingOwner: boolean;
  owners: OwnerConfig[];
  pools: { id: string; when?: FieldTest | undefined; owners: string[] }[];
  teams: TeamConfig[];
}

/** How one CRM object maps to leadstage's fields. */
export interface CrmObjectMapping {
  fields: Record<string, string>;
  write: {
    score?: string | undefined;
    fitGrade?: string | undefined;
    reasons?: string | undefined;
    stage?: string | undefined;
    leadStatus?: string | undefined;
    scoredAt?: string | undefined;
    reasonsMaxLength: number;
  };
  stageValues: Record<string, string>;
  leadStatusValues: Record<string, string>;
}

/**
 * CRM kind → either one mapping for all its records (HubSpot contacts), or a mapping per object
 * type (Salesforce `lead` and `contact`). See `mappingFor` and `objectMappings`.
 */
export type CrmConfig = Record<string, CrmObjectMapping | Record<string, CrmObjectMapping>>;

/** The whole admin config (config/leadstage.yaml) after validation. */
export interface LeadstageConfig {
  version: 1;
  engagement: EngagementConfig;
  fit: FitConfig;
  qualification: QualificationConfig;
  lifecycle: LifecycleConfig;
  businessHours: BusinessHours;
  tasks: TaskRule[];
  assignment: AssignmentConfig;
  /** SLA escalation; absent: tasks are created and left to the CRM. */
  escalation?: EscalationConfig | undefined;
  crm: CrmConfig;
}
