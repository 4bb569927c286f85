import type { LeadstageConfig } from '../core/model.ts';
import type { BatchLimits } from '../store/ingest-batch.ts';

/** How long ingested state lives: claims briefly, history as long as scoring looks back, tombstones a month. */
export function ingestLimits(config: LeadstageConfig): BatchLimits {
  return { claimTtlMs: 30_000, maxAgeMs: config.engagement.maxAgeDays * 86_400_000, tombstoneMs: 30 * 86_400_000 };
}
