import type { SimulationReport } from '../../jobs/simulate-config.ts';

const BAR_WIDTH = 24;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of block characters, `value / max` of `width` cells, in eighths of a cell. */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

const n = (x: number) => x.toLocaleString('en-US');
/** How long calls take at a quota: nothing to wait for within one window. */
export const took = (seconds: number) => (seconds === 0 ? 'fits in one window' : `at least ${duration(seconds)}`);
const stageName = (s: string | null) => s ?? '(none)';

/** The simulation for a terminal: histograms side by side, the stage matrix, tasks, movers, cost. */
export function formatSimulation(r: SimulationReport, title: string): string {
  const lines = [title, ''];
  lines.push(...histogram(r), '', ...matrix(r), '', ...tasks(r), '', ...movers(r), '', ...cost(r));
  return `${lines.join('\n')}\n`;
}

function histogram(r: SimulationReport): string[] {
  const { buckets, before, after } = r.histogram;
  const max = Math.max(...before, ...after);
  const cell = (v: number) => `${bar(v, max).padEnd(BAR_WIDTH)} ${String(v).padStart(6)}`;
  const out = [`Score        ${'before (current config)'.padEnd(BAR_WIDTH + 7)}   after (new config)`];
  buckets.forEach((b, i) => {
    // The `<0` bucket only when a contact is in it.
    if (i === 0 && before[0] === 0 && after[0] === 0) return;
    out.push(`  ${b.padEnd(8)}   ${cell(before[i]!)}   ${cell(after[i]!)}`);
  });
  return out;
}

function matrix(r: SimulationReport): string[] {
  const { labels, matrix: m, moved } = r.stages;
  // Only stages some contact is in, before or after; columns by number, the legend is the rows.
  const used = labels.map((_, i) => i).filter((i) => m[i]!.some((v) => v > 0) || m.some((row) => row[i]! > 0));
  const nameWidth = Math.max(...used.map((i) => labels[i]!.length)) + 5;
  const w = Math.max(5, ...m.flat().map((v) => String(v).length + 2));
  const out = [
    `Stages       rows: now (current config), columns: under the new config — ${n(moved)} contact(s) change stage`,
  ];
  out.push(`${' '.repeat(nameWidth + 2)}${used.map((j) => `[${j}]`.padStart(w)).join('')}`);
  for (const i of used) {
    const cells = used.map((j) => (m[i]![j] === 0 ? '·' : String(m[i]![j])).padStart(w)).join('');
    out.push(`  ${`[${i}] ${labels[i]}`.padEnd(nameWidth)}${cells}`);
  }
  return out;
}

function tasks(r: SimulationReport): string[] {
  const t = r.tasks;
  const out = [
    `Tasks        ${n(t.total)} follow-up task(s) applying it would create (the current config: ${n(t.baseline)} now)`,
  ];
  for (const o of t.byOwner) {
    const who = o.ownerId === null ? 'unassigned' : o.name ? `${o.name} (${o.ownerId})` : o.ownerId;
    out.push(`  ${who.padEnd(30)} ${String(o.count).padStart(6)}`);
  }
  return out;
}

function movers(r: SimulationReport): string[] {
  if (r.movers.length === 0) return ['Movers       no contact changes score or stage'];
  const out = ['Movers       the contacts that change most (ids only)'];
  for (const m of r.movers) {
    const stage =
      m.stage[0] === m.stage[1] ? stageName(m.stage[0]) : `${stageName(m.stage[0])} → ${stageName(m.stage[1])}`;
    out.push(
      `  ${`${m.objectType}:${m.id}`.padEnd(28)} score ${String(m.score[0]).padStart(4)} → ${String(m.score[1]).padEnd(5)} stage ${stage}`,
    );
  }
  return out;
}

function cost(r: SimulationReport): string[] {
  const c = r.cost;
  return [
    `Applying it  ${n(c.totalCalls)} CRM call(s): ${n(c.readCalls)} read(s), ` +
      `${n(c.writeCalls)} batch write(s) for ${n(c.changedContacts)} changed contact(s), ${n(c.taskCalls)} task batch(es)`,
    `             at ${c.limit.max} calls per ${c.limit.windowMs / 1000} s: ${took(c.seconds)}; ` +
      `as \`leadstage rescore\` paces it (low priority, yielding to live work): ${took(c.rescoreSeconds)}`,
  ];
}
