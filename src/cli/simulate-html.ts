import type { SimulationReport } from '../../jobs/simulate-config.ts';
import { took } from './format-simulation.ts';

/** Text for HTML: CRM ids, stage names and owner keys come from outside and are escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const e = (x: string | number | null) => escapeHtml(x === null ? '(none)' : String(x));
const n = (x: number) => x.toLocaleString('en-US');

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:2rem auto;max-width:960px;padding:0 1rem}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.3rem}
.sub{color:#5a6475}table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.3rem .6rem;text-align:right;border:1px solid #e4e8ef}
th{background:#f5f7fa;font-weight:600}td.l,th.l{text-align:left}.diag{font-weight:700}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{background:#f5f7fa;border-radius:6px;padding:.6rem 1rem}.kpi b{display:block;font-size:1.3rem}`;

const left = (html: string) => `<td class="l">${html}</td>`;
const row = (cells: readonly string[]) => `<tr>${cells.join('')}</tr>`;

const BEFORE = '#9aa7bd';
const AFTER = '#2f6fdf';

/** Grouped bars, before and after per score bucket, as inline SVG. */
function histogramSvg(r: SimulationReport): string {
  const { buckets, before, after } = r.histogram;
  const max = Math.max(1, ...before, ...after);
  const w = 860;
  const h = 260;
  const top = 20;
  const base = h - 40;
  const slot = (w - 40) / buckets.length;
  const barW = slot * 0.36;
  const parts: string[] = [`<line x1="40" y1="${base}" x2="${w}" y2="${base}" stroke="#8892a3"/>`];
  buckets.forEach((b, i) => {
    const x = 40 + i * slot + slot * 0.1;
    for (const [k, v, fill] of [
      [0, before[i]!, BEFORE],
      [1, after[i]!, AFTER],
    ] as const) {
      const bh = ((base - top) * v) / max;
      const bx = x + k * barW;
      const box = `x="${bx.toFixed(1)}" y="${(base - bh).toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}"`;
      parts.push(`<rect ${box} fill="${fill}"><title>${e(b)}: ${v} ${k ? 'after' : 'before'}</title></rect>`);
      if (v > 0)
        parts.push(
          `<text x="${(bx + barW / 2).toFixed(1)}" y="${(base - bh - 4).toFixed(1)}" font-size="10" text-anchor="middle">${v}</text>`,
        );
    }
    parts.push(
      `<text x="${(x + barW).toFixed(1)}" y="${base + 16}" font-size="11" text-anchor="middle">${e(b)}</text>`,
    );
  });
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="score histogram before and after">${parts.join('')}</svg>`;
}

function matrixTable(r: SimulationReport): string {
  const { labels, matrix: m } = r.stages;
  const used = labels.map((_, i) => i).filter((i) => m[i]!.some((v) => v > 0) || m.some((row) => row[i]! > 0));
  const max = Math.max(1, ...m.flat());
  const head = `<tr><th class="l">now ↓ / new →</th>${used.map((j) => `<th>${e(labels[j]!)}</th>`).join('')}</tr>`;
  const rows = used.map(
    (i) =>
      `<tr><th class="l">${e(labels[i]!)}</th>${used
        .map((j) => {
          const v = m[i]![j]!;
          // Shade by count: moves in blue, the diagonal (no move) in grey.
          const alpha = v === 0 ? 0 : 0.12 + 0.6 * (v / max);
          const bg =
            v === 0 ? '' : ` style="background:rgba(${i === j ? '120,130,150' : '47,111,223'},${alpha.toFixed(2)})"`;
          return `<td${bg}${i === j ? ' class="diag"' : ''}>${v === 0 ? '' : n(v)}</td>`;
        })
        .join('')}</tr>`,
  );
  return `<table>${head}${rows.join('')}</table>`;
}

/** One self-contained page (inline CSS and SVG, no external asset) with the simulation's charts and tables. */
export function simulationHtml(r: SimulationReport, meta: { title: string; generatedAt: string }): string {
  const c = r.cost;
  const tasks = r.tasks.byOwner
    .map((o) =>
      row([
        left(o.ownerId === null ? 'unassigned' : e(o.name ?? o.ownerId)),
        left(o.ownerId === null ? '' : e(o.ownerId)),
        `<td>${n(o.count)}</td>`,
      ]),
    )
    .join('');
  const movers = r.movers
    .map((m) => {
      const delta = m.score[1] - m.score[0];
      return row([
        left(e(`${m.objectType}:${m.id}`)),
        `<td>${m.score[0]}</td>`,
        `<td>${m.score[1]}</td>`,
        `<td>${delta > 0 ? '+' : ''}${delta}</td>`,
        left(e(m.stage[0])),
        left(e(m.stage[1])),
      ]);
    })
    .join('');
  const moversHead =
    '<tr><th class="l">contact id</th><th>score now</th><th>new score</th><th>change</th><th class="l">stage now</th><th class="l">new stage</th></tr>';
  const time = `${e(took(c.seconds))}; as the rescore paces it (low priority, yielding to live work): ${e(took(c.rescoreSeconds))}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(meta.title)}</title><style>${CSS}</style></head><body>
<h1>${e(meta.title)}</h1><p class="sub">Generated ${e(meta.generatedAt)} · read-only simulation: nothing was written to the CRM</p>
<div class="kpi"><div><b>${n(r.contacts)}</b>contacts simulated</div><div><b>${n(r.stages.moved)}</b>change stage</div>
<div><b>${n(r.tasks.total)}</b>follow-up tasks</div><div><b>${n(c.totalCalls)}</b>CRM calls to apply</div></div>
<h2>Scores before and after</h2>
<p class="legend"><span style="background:${BEFORE}"></span>current config<span style="background:${AFTER}"></span>new config</p>
${histogramSvg(r)}
<h2>Stage moves</h2><p class="sub">Rows: the stage under the current config; columns: under the new config.</p>${matrixTable(r)}
<h2>Follow-up tasks</h2><p>${n(r.tasks.total)} task(s) applying the new config would create (the current config: ${n(r.tasks.baseline)} now).</p>
${tasks ? `<table><tr><th class="l">owner</th><th class="l">CRM id</th><th>tasks</th></tr>${tasks}</table>` : ''}
<h2>Contacts that change most</h2>${movers ? `<table>${moversHead}${movers}</table>` : '<p>No contact changes score or stage.</p>'}
<h2>Cost of applying it</h2><p>${n(c.totalCalls)} CRM calls: ${n(c.readCalls)} reads,
${n(c.writeCalls)} batch writes for ${n(c.changedContacts)} changed contacts, ${n(c.taskCalls)} task batches.
At the account's quota of ${c.limit.max} calls per ${c.limit.windowMs / 1000} s: ${time}.</p>
</body></html>
`;
}
