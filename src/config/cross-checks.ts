import { IANAZone } from 'luxon';
import { BUILT_IN_ACTIVITY_TYPES } from '../core/activity-types.ts';
import { objectMappings } from '../core/crm-mapping.ts';
import { DERIVED_FIELDS } from '../core/field-values.ts';
import { TEMPLATE_VARIABLES, templateVariables } from '../core/template.ts';
import type { CrmObjectMapping, FieldTest, LeadstageConfig } from '../core/model.ts';

/** A problem a type cannot catch, located by its path in the document. */
export interface CrossIssue {
  path: (string | number)[];
  message: string;
}

function duplicates<T>(items: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of items) (seen.has(x) ? dup : seen).add(x);
  return dup;
}

function fieldsOf(test: FieldTest): string[] {
  return [
    ...(test.field ? [test.field] : []),
    ...(test.anyOf ?? []).map((t) => t.field),
    ...(test.allOf ?? []).map((t) => t.field),
  ];
}

function mappings(cfg: LeadstageConfig): [string, CrmObjectMapping][] {
  return objectMappings(cfg).map((e) => [e.path.join('.'), e.mapping]);
}

/** Checks across fields: orderings, references between sections, names that must exist. */
export function crossCheck(cfg: LeadstageConfig): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const { lifecycle, fit, engagement } = cfg;
  const stages = new Set(lifecycle.stages);
  const grades = new Set(fit.grades.map((g) => g.grade));
  const stage = (path: (string | number)[], s: string) => {
    if (!stages.has(s)) add(path, `unknown stage "${s}" (stages: ${lifecycle.stages.join(', ')})`);
  };
  const grade = (path: (string | number)[], g: string) => {
    if (!grades.has(g)) add(path, `unknown grade "${g}" (grades: ${[...grades].join(', ')})`);
  };

  // Stages and thresholds.
  for (const d of duplicates(lifecycle.stages)) add(['lifecycle', 'stages'], `stage "${d}" is listed twice`);
  lifecycle.untouched.forEach((s, i) => stage(['lifecycle', 'untouched', i], s));
  lifecycle.handoffStages.forEach((s, i) => stage(['lifecycle', 'handoffStages', i], s));
  stage(['lifecycle', 'disqualifiedMaxStage'], lifecycle.disqualifiedMaxStage);
  if (lifecycle.recycle) {
    const { from, to } = lifecycle.recycle;
    stage(['lifecycle', 'recycle', 'to'], to);
    from.forEach((s, i) => {
      stage(['lifecycle', 'recycle', 'from', i], s);
      if (lifecycle.stages.indexOf(s) <= lifecycle.stages.indexOf(to))
        add(
          ['lifecycle', 'recycle', 'from', i],
          `recycling goes back: "${s}" must come after "${to}" in lifecycle.stages`,
        );
      if (lifecycle.untouched.includes(s))
        add(
          ['lifecycle', 'recycle', 'from', i],
          `stage "${s}" is owned by sales (lifecycle.untouched); leadstage never moves it`,
        );
      if (!lifecycle.criteria[s])
        add(
          ['lifecycle', 'recycle', 'from', i],
          `stage "${s}" has no criteria, so a contact can never stop meeting them`,
        );
    });
  }
  for (const [s, c] of Object.entries(lifecycle.criteria)) {
    stage(['lifecycle', 'criteria', s], s);
    if (lifecycle.untouched.includes(s))
      add(
        ['lifecycle', 'criteria', s],
        `stage "${s}" is in lifecycle.untouched (sales-owned); leadstage cannot place contacts there`,
      );
    if (c.minGrade !== undefined) grade(['lifecycle', 'criteria', s, 'minGrade'], c.minGrade);
  }
  for (const key of ['minScore', 'minEngagement'] as const) {
    let prev: { stage: string; value: number } | null = null;
    for (const s of lifecycle.stages) {
      const value = lifecycle.criteria[s]?.[key];
      if (value === undefined) continue;
      if (prev && value < prev.value) {
        add(
          ['lifecycle', 'criteria', s, key],
          `thresholds out of order: ${s} needs ${key} ${value}, below ${prev.stage}'s ${prev.value}`,
        );
      }
      prev = { stage: s, value };
    }
  }

  // Grades: best first, strictly descending, the last one catches the rest.
  fit.grades.forEach((g, i) => {
    const last = i === fit.grades.length - 1;
    if (last && g.minPoints !== undefined)
      add(
        ['fit', 'grades', i, 'minPoints'],
        'the last grade takes every contact below the others: remove its minPoints',
      );
    if (!last && g.minPoints === undefined)
      add(['fit', 'grades', i, 'minPoints'], 'every grade but the last needs minPoints');
    const prev = fit.grades[i - 1]?.minPoints;
    if (i > 0 && g.minPoints !== undefined && prev !== undefined && g.minPoints >= prev) {
      add(
        ['fit', 'grades', i, 'minPoints'],
        `grades out of order: ${g.grade} needs ${g.minPoints}, not below ${fit.grades[i - 1]!.grade}'s ${prev}`,
      );
    }
  });
  for (const d of duplicates(fit.grades.map((g) => g.grade))) add(['fit', 'grades'], `grade "${d}" is listed twice`);

  // Activity types, groups and rule ids.
  const activityTypes = new Set<string>([...BUILT_IN_ACTIVITY_TYPES, ...engagement.customActivityTypes]);
  const knownType = (path: (string | number)[], t: string) => {
    if (!activityTypes.has(t))
      add(path, `unknown activity type "${t}" (add it to engagement.customActivityTypes if it is yours)`);
  };
  engagement.rules.forEach((r, i) => {
    knownType(['engagement', 'rules', i, 'activity'], r.activity);
    if (r.group !== undefined && !engagement.groups[r.group])
      add(['engagement', 'rules', i, 'group'], `unknown group "${r.group}" (define it under engagement.groups)`);
  });
  engagement.propertyRules.forEach((r, i) => {
    if (r.group !== undefined && !engagement.groups[r.group])
      add(
        ['engagement', 'propertyRules', i, 'group'],
        `unknown group "${r.group}" (define it under engagement.groups)`,
      );
  });
  const ruleLists: [string, { id: string }[]][] = [
    ['engagement.rules', engagement.rules],
    ['engagement.propertyRules', engagement.propertyRules],
    ['fit.rules', fit.rules],
    ['fit.disqualify', fit.disqualify],
    ['tasks', cfg.tasks],
    ['assignment.pools', cfg.assignment.pools],
  ];
  for (const [where, list] of ruleLists) {
    for (const d of duplicates(list.map((r) => r.id))) {
      add([...where.split('.'), list.findLastIndex((r) => r.id === d), 'id'], `id "${d}" is used twice in ${where}`);
    }
  }

  // Every field a rule reads must be mapped from some CRM (or derived), so typos surface here.
  const maps = mappings(cfg);
  const known = new Set<string>([...DERIVED_FIELDS, ...maps.flatMap(([, m]) => Object.keys(m.fields))]);
  const field = (path: (string | number)[], f: string) => {
    if (maps.length > 0 && !known.has(f)) add(path, `field "${f}" is not mapped in any crm.*.fields section`);
  };
  engagement.propertyRules.forEach((r, i) => field(['engagement', 'propertyRules', i, 'field'], r.field));
  fit.rules.forEach((r, i) => fieldsOf(r).forEach((f) => field(['fit', 'rules', i], f)));
  fit.disqualify.forEach((r, i) => fieldsOf(r).forEach((f) => field(['fit', 'disqualify', i], f)));
  for (const [k, t] of Object.entries(cfg.qualification.criteria))
    fieldsOf(t!).forEach((f) => field(['qualification', 'criteria', k], f));
  cfg.assignment.pools.forEach(
    (p, i) => p.when && fieldsOf(p.when).forEach((f) => field(['assignment', 'pools', i, 'when'], f)),
  );

  // Tasks and SLAs.
  cfg.tasks.forEach((t, i) => {
    stage(['tasks', i, 'onEnter'], t.onEnter);
    if (lifecycle.untouched.includes(t.onEnter))
      add(['tasks', i, 'onEnter'], `stage "${t.onEnter}" is sales-owned; leadstage never enters it`);
    else if (stages.has(t.onEnter) && !lifecycle.criteria[t.onEnter])
      add(['tasks', i, 'onEnter'], `stage "${t.onEnter}" has no lifecycle.criteria, so no contact ever enters it`);
    for (const [part, tpl] of [
      ['subject', t.subject],
      ['body', t.body],
    ] as const) {
      for (const v of templateVariables(tpl)) {
        if (!(TEMPLATE_VARIABLES as readonly string[]).includes(v))
          add(['tasks', i, part], `unknown template variable {{${v}}} (known: ${TEMPLATE_VARIABLES.join(', ')})`);
      }
    }
    t.sla.forEach((s, j) => {
      s.whenActivity?.forEach((a, k) => knownType(['tasks', i, 'sla', j, 'whenActivity', k], a));
      if (s.whenMinGrade !== undefined) grade(['tasks', i, 'sla', j, 'whenMinGrade'], s.whenMinGrade);
    });
    const last = t.sla[t.sla.length - 1]!;
    if (last.whenActivity || last.whenMinGrade)
      add(
        ['tasks', i, 'sla', t.sla.length - 1],
        'the last SLA rule must have no conditions, so every task gets a due date',
      );
  });

  // Business hours.
  const bh = cfg.businessHours;
  if (!IANAZone.isValidZone(bh.timezone))
    add(['businessHours', 'timezone'], `unknown time zone "${bh.timezone}" (use an IANA name such as Europe/Berlin)`);
  if (bh.start >= bh.end)
    add(['businessHours', 'end'], `business hours end (${bh.end}) must be after start (${bh.start})`);
  bh.holidays.forEach((d, i) => {
    if (Number.isNaN(Date.parse(`${d}T00:00:00Z`)))
      add(['businessHours', 'holidays', i], `"${d}" is not a calendar date`);
  });

  // Owners and pools.
  const ownerKeys = new Set(cfg.assignment.owners.map((o) => o.key));
  for (const d of duplicates(cfg.assignment.owners.map((o) => o.key)))
    add(['assignment', 'owners'], `owner key "${d}" is used twice`);
  cfg.assignment.owners.forEach((o, i) => {
    if (!(o.weight > 0))
      add(
        ['assignment', 'owners', i, 'weight'],
        `owner weight must be above 0 (got ${o.weight}); set active: false to pause an owner`,
      );
    if (Object.keys(o.ids).length === 0)
      add(
        ['assignment', 'owners', i],
        'an owner needs its id in at least one CRM (ids: { hubspot: …, salesforce: … })',
      );
    (o.away ?? []).forEach((a, j) => {
      if (a.until < a.from)
        add(['assignment', 'owners', i, 'away', j], `away until ${a.until}, before it starts (${a.from})`);
    });
  });
  cfg.assignment.pools.forEach((p, i) => {
    p.owners.forEach((k, j) => {
      if (!ownerKeys.has(k))
        add(['assignment', 'pools', i, 'owners', j], `unknown owner "${k}" (define it under assignment.owners)`);
    });
  });

  // Teams and SLA escalation.
  const teamIds = new Set(cfg.assignment.teams.map((t) => t.id));
  for (const d of duplicates(cfg.assignment.teams.map((t) => t.id)))
    add(['assignment', 'teams'], `team "${d}" is defined twice`);
  cfg.assignment.teams.forEach((t, i) => {
    if (t.timezone && !IANAZone.isValidZone(t.timezone))
      add(
        ['assignment', 'teams', i, 'timezone'],
        `unknown time zone "${t.timezone}" (use an IANA name such as Europe/Berlin)`,
      );
    if (t.manager && !ownerKeys.has(t.manager))
      add(['assignment', 'teams', i, 'manager'], `unknown owner "${t.manager}" (define it under assignment.owners)`);
  });
  cfg.assignment.owners.forEach((o, i) => {
    if (o.team && !teamIds.has(o.team))
      add(['assignment', 'owners', i, 'team'], `unknown team "${o.team}" (define it under assignment.teams)`);
  });
  const esc = cfg.escalation;
  if (esc) {
    esc.contactedBy.forEach((a, k) => knownType(['escalation', 'contactedBy', k], a));
    if (esc.manager && !ownerKeys.has(esc.manager))
      add(['escalation', 'manager'], `unknown owner "${esc.manager}" (define it under assignment.owners)`);
    esc.steps.forEach((s, i) => {
      if (s.action === 'escalate' && i !== esc.steps.length - 1)
        add(['escalation', 'steps', i, 'action'], 'escalate must be the last step (nothing follows a manager)');
    });
  }

  // CRM mappings: stage and status values must be translatable.
  const statuses = [
    lifecycle.leadStatus.onHandoff,
    lifecycle.leadStatus.nurture,
    lifecycle.leadStatus.disqualified,
    ...(lifecycle.recycle ? [lifecycle.recycle.leadStatus] : []),
  ];
  for (const [where, m] of maps) {
    const path = where.split('.');
    for (const s of Object.keys(m.stageValues)) stage([...path, 'stageValues', s], s);
    if (m.write.leadStatus) {
      for (const s of statuses) {
        if (!m.leadStatusValues[s])
          add(
            [...path, 'leadStatusValues'],
            `lead status "${s}" has no value for ${where} (it writes ${m.write.leadStatus})`,
          );
      }
    }
  }
  return issues;
}
