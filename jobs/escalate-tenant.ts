import { crmOwnerId } from '../src/core/crm-mapping.ts';
import { decideEscalation, stepAt, stepMark, type EscalationDecision, type SlaTask } from '../src/core/escalation.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import type { Clock } from '../src/platform/clock.ts';
import type { CrmPort, CrmTask, TaskUpdate } from '../src/platform/crm-port.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import type { Loan, Watched } from '../src/store/sla-store.ts';
import { createTasksOnce, type WantedTask } from './create-tasks-step.ts';
import { awayOwnerIds } from './owner-availability.ts';
import type { ActivityReader, TaskLedger } from './recompute-ports.ts';

/** The SLA escalation's state, as the use case sees it (src/store/sla-store.ts). */
export interface SlaState {
  watch(tenant: Tenant, entries: readonly Watched[]): Promise<void>;
  due(tenant: Tenant, nowMs: number, n: number): Promise<SlaTask[]>;
  update(tenant: Tenant, task: SlaTask, at: number | null): Promise<void>;
  forget(tenant: Tenant, keys: readonly string[]): Promise<void>;
  loans(tenant: Tenant): Promise<Loan[]>;
  endLoan(tenant: Tenant, key: string): Promise<void>;
}

export interface EscalateDeps {
  config: LeadstageConfig;
  crm: CrmPort;
  sla: SlaState;
  activities: ActivityReader;
  ledger: TaskLedger;
  clock: Clock;
  log: Logger;
  /** Owners marked away with `leadstage owners away`: owner key → until (epoch ms). */
  awayOwners?: () => Promise<ReadonlyMap<string, number>>;
  /** Contacts as leadstage last wrote them (the decay store): a contact recycled below its task's stage retires the task. */
  snapshots?: (tenant: Tenant, ids: readonly string[]) => Promise<ReadonlyMap<string, { stage: string | null }>>;
  /** Watched tasks per run (the CRM reads and writes are batch-sized). */
  batchSize: number;
}

export interface EscalationSummary {
  tenant: string;
  due: number;
  met: number;
  reminded: number;
  reassigned: number;
  escalated: number;
  /** Tasks closed because their contact went back below the task's stage (recycled). */
  retired: number;
  returned: number;
  /** More tasks were due than one run takes. */
  more: boolean;
}

/** A step the CRM failed transiently runs again after this pause. */
const RETRY_AFTER_MS = 5 * 60_000;

const ACTION_COUNTER = { reassign: 'reassigned', escalate: 'escalated' } as const;

/**
 * One run of a tenant's SLA escalation: the watched tasks whose next step is due are read from the
 * CRM in one batch (status, owner, body), the contact's own activity says whether it was contacted,
 * and the core decides. Each step is safe to repeat: a note carries the step's mark and is not added
 * twice, a handoff's new task goes through the task ledger (created once), and a step's state moves
 * on only after its CRM effects, so a run that dies half-way is simply done again.
 */
export async function escalateTenant(tenant: Tenant, deps: EscalateDeps): Promise<EscalationSummary> {
  const { config, crm, sla } = deps;
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const sum: EscalationSummary = {
    tenant: tenantKey(tenant),
    due: 0,
    met: 0,
    reminded: 0,
    reassigned: 0,
    escalated: 0,
    retired: 0,
    returned: 0,
    more: false,
  };
  const marked = (await deps.awayOwners?.()) ?? new Map<string, number>();
  const away = new Set(awayOwnerIds(config, tenant.crm, nowMs, marked));

  const due = await sla.due(tenant, nowMs, deps.batchSize);
  sum.due = due.length;
  sum.more = due.length === deps.batchSize;
  if (due.length) {
    const views = await crm.readTasks(tenant, due.map((t) => t.taskId).filter(Boolean));
    const acts = await deps.activities.activitiesMany(
      tenant,
      due.map((t) => t.contact.id),
      nowMs,
    );
    const known =
      (await deps.snapshots?.(
        tenant,
        due.map((t) => t.contact.id),
      )) ?? new Map<string, { stage: string | null }>();
    const contactedBy = new Set(config.escalation?.contactedBy ?? []);
    const decisions = due.map((task) => {
      const contactedAt = Math.max(
        -Infinity,
        ...(acts.get(task.contact.id) ?? []).filter((a) => contactedBy.has(a.type)).map((a) => a.at),
      );
      const view = views.get(task.taskId) ?? null;
      const contactStage = known.get(task.contact.id)?.stage;
      return {
        task,
        view,
        d: decideEscalation({
          config,
          task,
          view,
          contactedAt: Number.isFinite(contactedAt) ? contactedAt : null,
          nowMs,
          awayOwnerIds: away,
          contactStage,
        }),
      };
    });
    await apply(tenant, deps, decisions, now, sum);
  }
  sum.returned = await returnLoans(tenant, deps, away);
  if (sum.due || sum.returned) deps.log.info({ ...sum }, 'sla escalation');
  return sum;
}

/**
 * The watch entries for follow-up tasks the CRM now has (the recompute's step): each task's SLA record
 * at step 0 and when that step fires. None when the config has no escalation.
 */
export function watchEntries(
  config: LeadstageConfig,
  crm: string,
  wanted: readonly WantedTask[],
  confirmed: ReadonlyMap<string, { taskId: string; ownerId: string | null }>,
  now: Date,
): Watched[] {
  if (!config.escalation) return [];
  return wanted.flatMap(({ contact, task }) => {
    const c = confirmed.get(task.key);
    if (!c) return [];
    const t: SlaTask = {
      key: task.key,
      taskId: c.taskId,
      crm,
      contact: { objectType: contact.objectType, id: contact.id },
      ownerId: c.ownerId ?? task.ownerId,
      step: 0,
      dueAt: Date.parse(task.dueAt),
      createdAt: now.getTime(),
      ruleId: task.ruleId,
      slaRuleId: task.slaRuleId,
      stage: task.stage,
      subject: task.subject,
      type: task.type,
      tried: [],
    };
    return [{ task: t, at: stepAt(config, t) }];
  });
}

type Decided = { task: SlaTask; view: CrmTask | null; d: EscalationDecision };

async function apply(
  tenant: Tenant,
  deps: EscalateDeps,
  decisions: Decided[],
  now: Date,
  sum: EscalationSummary,
): Promise<void> {
  const { crm, sla, config } = deps;
  const done = decisions.filter((x) => x.d.kind === 'done');
  sum.met += done.filter((x) => x.d.kind === 'done' && (x.d.reason === 'contacted' || x.d.reason === 'closed')).length;
  await sla.forget(
    tenant,
    done.map((x) => x.task.key),
  );
  for (const x of decisions) if (x.d.kind === 'wait') await sla.update(tenant, x.task, x.d.at);

  // Handoffs first create the new task (once, through the ledger) and watch it, then close the old one.
  const handoffs = decisions.flatMap((x) => (x.d.kind === 'handoff' ? [{ ...x, d: x.d }] : []));
  const wanted: WantedTask[] = handoffs.map((h) => ({ contact: h.task.contact, task: h.d.newTask }));
  const created = await createTasksOnce(tenant, crm, deps.ledger, wanted, now);
  const watched: Watched[] = [];
  const closed = handoffs.filter((h) => created.confirmed.has(h.d.newTask.key));
  for (const h of closed) {
    const c = created.confirmed.get(h.d.newTask.key)!;
    const next: SlaTask = { ...h.d.next, taskId: c.taskId, ownerId: c.ownerId ?? h.d.next.ownerId };
    watched.push({ task: next, at: stepAt(config, next) });
  }
  await sla.watch(tenant, watched);

  const updates: TaskUpdate[] = [];
  const mark = (x: Decided) => x.view !== null && x.view.body.includes(stepMark(x.task));
  for (const x of decisions) {
    if (x.d.kind === 'remind')
      updates.push({ id: x.task.taskId, priority: 'high', ...(mark(x) ? {} : { body: x.d.body }) });
  }
  for (const h of closed)
    updates.push({ id: h.task.taskId, close: true, ...(mark(h) ? {} : { body: h.d.closingBody }) });
  const retired = decisions.filter((x) => x.d.kind === 'retire');
  for (const x of retired)
    if (x.d.kind === 'retire') updates.push({ id: x.task.taskId, close: true, ...(mark(x) ? {} : { body: x.d.body }) });
  const outcomes = new Map((await crm.updateTasks(tenant, updates)).map((o) => [o.id, o]));

  // A reassigned contact follows its task to the new owner (an escalation leaves the contact's owner).
  const owners = closed.filter((h) => h.d.action === 'reassign' && outcomes.get(h.task.taskId)?.ok);
  if (owners.length) {
    await crm.writeContacts(
      tenant,
      owners.map((h) => ({
        objectType: h.task.contact.objectType,
        id: h.task.contact.id,
        changes: { ownerId: h.d.newTask.ownerId! },
        fromStage: null,
        scoredAt: now,
      })),
    );
  }
  for (const x of decisions) {
    const ok = outcomes.get(x.task.taskId);
    if (x.d.kind === 'remind' && ok?.ok) {
      sum.reminded += 1;
      const next = { ...x.task, step: x.task.step + 1 };
      await sla.update(tenant, next, x.d.next);
    }
  }
  for (const h of closed) {
    if (!outcomes.get(h.task.taskId)?.ok) continue;
    sum[ACTION_COUNTER[h.d.action]] += 1;
    await sla.forget(tenant, [h.task.key]);
  }
  const ended = retired.filter((x) => outcomes.get(x.task.taskId)?.ok).map((x) => x.task.key);
  sum.retired += ended.length;
  await sla.forget(tenant, ended);
  // What the CRM refused: for good, the watch ends (retrying would only repeat the refusal every
  // sweep); a transient failure tries again after a pause, not on every sweep.
  const failures = new Map<string, { reason: string; retryable: boolean }>();
  for (const h of handoffs) {
    const f = created.failed.get(h.task.contact.id);
    if (f) failures.set(h.task.key, f);
  }
  for (const x of decisions) {
    const o = outcomes.get(x.task.taskId);
    if (o && !o.ok) failures.set(x.task.key, o);
  }
  for (const x of decisions) {
    const f = failures.get(x.task.key);
    if (!f) continue;
    if (f.retryable) await sla.update(tenant, x.task, now.getTime() + RETRY_AFTER_MS);
    else await sla.forget(tenant, [x.task.key]);
    deps.log.warn(
      { tenant: tenantKey(tenant), task: x.task.taskId, reason: f.reason, retry: f.retryable },
      'sla step refused by the CRM',
    );
  }
}

/**
 * Owners back from being away get their contacts back: the contact's owner and its open task return
 * to them, with a note. A loan whose task was closed meanwhile still returns the contact.
 */
async function returnLoans(tenant: Tenant, deps: EscalateDeps, away: ReadonlySet<string>): Promise<number> {
  if (!deps.config.escalation?.returnWhenBack) return 0;
  const back: { loan: Loan; ownerId: string }[] = [];
  for (const loan of await deps.sla.loans(tenant)) {
    const owner = deps.config.assignment.owners.find((o) => o.key === loan.from);
    const id = owner?.active ? crmOwnerId(owner, tenant.crm) : undefined;
    if (!id)
      await deps.sla.endLoan(tenant, loan.key); // left the team, or no id in this CRM: nothing to return
    else if (!away.has(id)) back.push({ loan, ownerId: id });
  }
  if (back.length === 0) return 0;
  const views = await deps.crm.readTasks(
    tenant,
    back.map((b) => b.loan.taskId),
  );
  const note = (l: Loan) =>
    `[leadstage] ${l.from} is back: the lead returns to them. [sla-return:${l.key.slice(0, 8)}]`;
  const updates: TaskUpdate[] = back.flatMap(({ loan, ownerId }) => {
    const view = views.get(loan.taskId);
    if (!view?.open) return [];
    return [
      {
        id: loan.taskId,
        ownerId,
        ...(view.body.includes(note(loan)) ? {} : { body: `${view.body}\n\n${note(loan)}` }),
      },
    ];
  });
  const refused = new Set((await deps.crm.updateTasks(tenant, updates)).filter((o) => !o.ok).map((o) => o.id));
  const ok = back.filter((b) => !refused.has(b.loan.taskId));
  const now = deps.clock.now();
  await deps.crm.writeContacts(
    tenant,
    ok.map(({ loan, ownerId }) => ({
      objectType: loan.contact.objectType,
      id: loan.contact.id,
      changes: { ownerId },
      fromStage: null,
      scoredAt: now,
    })),
  );
  for (const { loan } of ok) await deps.sla.endLoan(tenant, loan.key);
  return ok.length;
}
