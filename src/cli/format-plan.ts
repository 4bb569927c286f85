import { DateTime } from 'luxon';
import type { Plan } from '../core/types.ts';

function signed(n: number): string {
  const r = Math.round(n * 10) / 10;
  return r > 0 ? `+${r}` : `${r}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map(
    (r) =>
      '  ' +
      r
        .map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
  );
}

/** The plan for a person at a terminal: headline, stage move, owner, tasks, reasons, changes. */
export function formatPlan(plan: Plan, timezone: string): string {
  const out: string[] = [];
  const { score } = plan;
  out.push(`Contact   ${plan.contact.crm}/${plan.contact.objectType} ${plan.contact.id}`);
  out.push(`Score     ${score.total} = fit ${score.fit} (grade ${plan.grade}) + engagement ${score.engagement}`);
  if (plan.disqualified) out.push(`Disqualified  ${plan.disqualified.reason} (rule ${plan.disqualified.ruleId})`);
  out.push(`BANT      ${plan.bant.count}/4${plan.bant.count ? ` (${plan.bant.satisfied.join(', ')})` : ''}`);
  const move = plan.stage.changed
    ? `${plan.stage.from ?? '(none)'} → ${plan.stage.to}`
    : `${plan.stage.to ?? '(none)'} (unchanged)`;
  out.push(`Stage     ${move}: ${plan.stage.reason}`);
  out.push(`Status    ${plan.leadStatus ?? '(no change wanted)'}`);
  if (plan.owner) {
    const o = plan.owner;
    const who = o.ownerId ?? '(none)';
    out.push(
      `Owner     ${who} (${o.source}${o.ownerKey ? `, ${o.ownerKey}` : ''}${o.poolId ? `, pool ${o.poolId}` : ''})`,
    );
  }
  if (plan.tasks.length) {
    out.push('Tasks');
    for (const t of plan.tasks) {
      const local = DateTime.fromISO(t.dueAt, { zone: timezone }).toFormat('ccc yyyy-LL-dd HH:mm ZZZZ');
      out.push(`  [${t.priority}] ${t.type} due ${t.dueAt} (${local}, SLA ${t.slaRuleId})`);
      out.push(`    ${t.subject}`);
    }
  }
  if (plan.reasons.length) {
    out.push('Reasons');
    const rows = [['kind', 'rule', 'points', 'count', 'note']];
    for (const r of plan.reasons)
      rows.push([r.kind, r.ruleId, signed(r.points), r.count?.toString() ?? '', r.note ?? '']);
    out.push(...table(rows));
  }
  const changed = Object.keys(plan.changes);
  out.push(`Writes    ${changed.length ? changed.join(', ') : 'nothing (CRM already up to date)'}`);
  for (const w of plan.warnings) out.push(`Warning   ${w}`);
  return out.join('\n') + '\n';
}
