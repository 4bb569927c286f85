import type { LedgerEntry } from '../store/score-ledger.ts';

/** The score ledger as lines for a terminal: newest first, one change per line. */
export function formatLedger(history: readonly LedgerEntry[]): string {
  if (history.length === 0) return 'Score history   none recorded yet (leadstage has not changed this contact)\n';
  const lines = history.map((e) => {
    const stage = e.stage.from !== e.stage.to ? `, stage ${e.stage.from ?? '—'} → ${e.stage.to ?? '—'}` : '';
    const version = e.configVersion ? ` [config ${e.configVersion.slice(0, 8)}]` : '';
    const why = e.stageReason ? `; ${e.stageReason}` : '';
    return `  ${e.at.replace('T', ' ').slice(0, 16)}  ${e.cause.padEnd(5)}  score ${e.score.from ?? '—'} → ${e.score.to}${stage}  (${e.reasons.join(', ')}${why})${version}`;
  });
  return `Score history   last ${history.length} change(s), newest first\n${lines.join('\n')}\n`;
}
