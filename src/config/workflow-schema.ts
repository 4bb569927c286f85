import { z } from 'zod';
import { fieldTestSchema } from './condition-schema.ts';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_"');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use 24-hour HH:MM');
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const DEFAULT_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

/** What a contact must meet to be placed in a stage. Absent keys are not required. */
export const stageCriteriaSchema = z.strictObject({
  /** Total score (fit + decayed engagement). */
  minScore: z.number().optional(),
  /** Decayed engagement points alone: "showed interest". */
  minEngagement: z.number().optional(),
  /** Fit grade at least this good. */
  minGrade: z.string().optional(),
  /** At least this many BANT criteria satisfied. */
  minBant: z.number().int().min(0).max(4).optional(),
});

export const lifecycleSchema = z.strictObject({
  /** All stages in funnel order. */
  stages: z
    .array(z.string().min(1))
    .min(2)
    .default([...DEFAULT_STAGES]),
  /** Stages owned by sales: a contact in one is never moved, and gets no tasks. */
  untouched: z.array(z.string()).default(['opportunity', 'customer', 'evangelist', 'other']),
  /** never: stages only move forward. allow: a contact may fall back when it no longer qualifies. */
  regression: z.enum(['never', 'allow']).default('never'),
  /** Which stages leadstage places contacts in, and what each requires. */
  criteria: z.record(z.string(), stageCriteriaSchema),
  /** A stage whose entry hands the contact to sales (owner assigned, lead status set). */
  handoffStages: z.array(z.string()).default(['marketingqualifiedlead', 'salesqualifiedlead']),
  leadStatus: z
    .strictObject({
      /** Set when a contact is handed to sales. */
      onHandoff: z.string().default('new'),
      /** Set when engagement would qualify but fit is too poor: marketing keeps nurturing. */
      nurture: z.string().default('nurture'),
      /** Set when a disqualify rule matches. */
      disqualified: z.string().default('unqualified'),
    })
    .default({ onHandoff: 'new', nurture: 'nurture', disqualified: 'unqualified' }),
  /** The highest stage a disqualified contact may reach. */
  disqualifiedMaxStage: z.string().default('lead'),
  /**
   * Stale handoffs: a contact in one of `from` that no longer meets that stage's criteria (its
   * engagement decayed) while sales has not started working it (lead status none, the handoff
   * status or a nurture one) goes back to `to` with `leadStatus`, even under `regression: never`.
   */
  recycle: z
    .strictObject({
      from: z.array(z.string()).min(1),
      to: z.string(),
      leadStatus: z.string().default('nurture'),
    })
    .optional(),
});

export const businessHoursSchema = z.strictObject({
  /** IANA zone, e.g. America/New_York. */
  timezone: z.string().min(1),
  days: z.array(weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  start: hhmm.default('09:00'),
  end: hhmm.default('17:00'),
  /** Whole days off, YYYY-MM-DD in the zone above. */
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD')).default([]),
});

/** How long the owner has: in business time by default, so a lead at 3 a.m. is due after opening. */
export const durationSchema = z
  .strictObject({
    minutes: z.number().int().positive().optional(),
    hours: z.number().positive().optional(),
    businessDays: z.number().positive().optional(),
    /** true: count wall-clock time, ignoring business hours. */
    calendar: z.boolean().default(false),
  })
  .refine(
    (d) => d.minutes !== undefined || d.hours !== undefined || d.businessDays !== undefined,
    'give minutes, hours or businessDays',
  );

/** A wait that may be zero (an escalation step that fires at the due date itself). */
const offsetSchema = z.strictObject({
  minutes: z.number().int().nonnegative().optional(),
  hours: z.number().nonnegative().optional(),
  businessDays: z.number().nonnegative().optional(),
  calendar: z.boolean().default(false),
});

const priority = z.enum(['low', 'medium', 'high']);

export const slaRuleSchema = z.strictObject({
  id: ruleId,
  /** Applies when the contact did one of these activities within `withinHours` (default 24). */
  whenActivity: z.array(z.string().min(1)).min(1).optional(),
  withinHours: z.number().positive().default(24),
  /** Applies when the fit grade is at least this good. */
  whenMinGrade: z.string().optional(),
  due: durationSchema,
  priority: priority.optional(),
});

export const taskRuleSchema = z.strictObject({
  id: ruleId,
  /** The stage whose entry creates this task. */
  onEnter: z.string().min(1),
  /** Template: {{firstName}} {{lastName}} {{company}} {{score}} {{grade}} {{stage}} {{topReasons}}. */
  subject: z.string().min(1).max(255),
  body: z.string().default(''),
  type: z.enum(['call', 'email', 'todo']).default('call'),
  priority: priority.default('medium'),
  /** First matching rule wins; the last one should have no conditions. */
  sla: z.array(slaRuleSchema).min(1),
});

export const ownerSchema = z
  .strictObject({
    /** A stable key for the rotation state; not an e-mail or name (it appears in logs). */
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_"'),
    /** The owner's id per CRM: `{ hubspot: "1001", salesforce: "005…" }`. */
    ids: z.record(z.string(), z.string().min(1)).default({}),
    /** Older spellings of `ids.hubspot` and `ids.salesforce`, still accepted. */
    hubspotOwnerId: z.string().optional(),
    salesforceUserId: z.string().optional(),
    /** Relative share of new contacts. */
    weight: z.number().default(1),
    /** false: skipped by the rotation (left the team). */
    active: z.boolean().default(true),
    /**
     * Whole days away (YYYY-MM-DD, inclusive, in the business-hours zone): skipped by the rotation
     * on those days. Short-notice absences: `leadstage owners away <key> --until <date>`.
     */
    away: z.array(z.strictObject({ from: isoDay, until: isoDay })).default([]),
    /** The team (assignment.teams) whose zone runs this owner's SLA clock and whose manager gets escalations. */
    team: z.string().optional(),
  })
  .transform(({ hubspotOwnerId, salesforceUserId, ids, ...rest }) => ({
    ...rest,
    ids: {
      ...(hubspotOwnerId ? { hubspot: hubspotOwnerId } : {}),
      ...(salesforceUserId ? { salesforce: salesforceUserId } : {}),
      ...ids,
    },
  }));

export const assignmentSchema = z.strictObject({
  /** Keep a contact's existing owner when that owner is active. */
  keepExistingOwner: z.boolean().default(true),
  owners: z.array(ownerSchema).default([]),
  /** Rotation pools, e.g. per territory; first matching pool wins, one without `when` catches the rest. */
  pools: z
    .array(z.strictObject({ id: ruleId, when: fieldTestSchema.optional(), owners: z.array(z.string()).min(1) }))
    .default([]),
  /** Sales teams: the SLA clock runs in the team's zone (business days and hours as businessHours). */
  teams: z
    .array(z.strictObject({ id: ruleId, timezone: z.string().min(1).optional(), manager: z.string().optional() }))
    .default([]),
});

/** SLA escalation: what happens, step by step, while a follow-up task stays open past its due date. */
export const escalationSchema = z.strictObject({
  /** Activities that count as contacting the lead (after the task was created). */
  contactedBy: z.array(z.string().min(1)).default(['call_logged', 'sales_email', 'meeting_booked']),
  /** In order; `after` counts business time from the due date of the task open at that point. */
  steps: z
    .array(
      z.strictObject({
        after: offsetSchema.default({ minutes: 0, calendar: false }),
        action: z.enum(['remind', 'reassign', 'escalate']),
      }),
    )
    .min(1),
  /** Manager (owner key) for owners whose team names none. */
  manager: z.string().optional(),
  /** Contacts reassigned because their owner was away go back when the owner returns. */
  returnWhenBack: z.boolean().default(true),
});
