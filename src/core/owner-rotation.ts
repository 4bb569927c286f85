/**
 * Smooth weighted round-robin (the nginx upstream algorithm): over any run of W picks, where W is
 * the sum of the weights, each owner is picked exactly `weight` times, spread evenly rather than in
 * bursts. Pure: the caller stores the returned credits (atomically, when workers share them).
 */
export interface RotationMember {
  key: string;
  weight: number;
}

export interface RotationPick {
  key: string;
  credits: Record<string, number>;
}

export function pickWeighted(
  members: readonly RotationMember[],
  credits: Readonly<Record<string, number>>,
): RotationPick | null {
  if (members.length === 0) return null;
  const next: Record<string, number> = {};
  let total = 0;
  let best: string | null = null;
  for (const m of members) {
    const c = (credits[m.key] ?? 0) + m.weight;
    next[m.key] = c;
    total += m.weight;
    // Strictly greater: ties go to the earlier member, so the order is reproducible.
    if (best === null || c > next[best]!) best = m.key;
  }
  next[best!] = next[best!]! - total;
  // Owners who left the pool drop out of the state; their credit would otherwise linger forever.
  return { key: best!, credits: next };
}
