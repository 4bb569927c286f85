import type { Reason } from './types.ts';

/** Contributions sorted by weight, biggest first; zero-point markers (BANT, disqualify) last. */
export function rankReasons(reasons: readonly Reason[]): Reason[] {
  return [...reasons].sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || (a.ruleId < b.ruleId ? -1 : 1));
}

function signed(n: number): string {
  const r = Math.round(n);
  return r >= 0 ? `+${r}` : `${r}`;
}

/**
 * The short text a rep sees next to the score. Whole points only, so the text does not change
 * (and cost a CRM write) every time decay moves a contribution by a fraction.
 */
export function reasonText(
  score: { total: number; fit: number; engagement: number },
  grade: string,
  reasons: readonly Reason[],
  disqualified: { reason: string } | null,
  maxLength: number,
): string {
  const head = `Score ${score.total} = fit ${score.fit} (${grade}) + engagement ${score.engagement}.`;
  const dq = disqualified ? ` Disqualified: ${disqualified.reason}.` : '';
  const parts = rankReasons(reasons)
    .filter((r) => Math.round(r.points) !== 0)
    .map((r) => `${r.ruleId} ${signed(r.points)}`);
  let text = head + dq;
  for (let i = 0; i < parts.length; i++) {
    const piece = (i === 0 ? ' ' : ', ') + parts[i];
    const rest = parts.length - i - 1;
    const tail = rest > 0 ? `, +${rest} more` : '';
    if ((text + piece + tail).length > maxLength) {
      const more = `, +${parts.length - i} more`;
      return (i === 0 ? text : text + more).slice(0, maxLength);
    }
    text += piece;
  }
  return text.slice(0, maxLength);
}
