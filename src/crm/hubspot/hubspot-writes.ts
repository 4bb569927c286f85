import type { CrmObjectMapping } from '../../core/model.ts';
import { CrmRateLimitedError, CrmRejectedError, CrmTransientError, isRetryable } from '../../platform/crm-errors.ts';
import { chunks, type ContactWrite, type WriteOutcome } from '../../platform/crm-port.ts';
import type { Tenant } from '../../platform/tenant.ts';
import { toProperties } from './hubspot-mapping.ts';
import type { HubSpotCallIo } from './hubspot-task-ops.ts';

const HUBSPOT_BATCH = 100;

interface BatchError {
  category?: string;
  message?: string;
  context?: Record<string, string[]>;
}

/**
 * Contact writes (developers.hubspot.com/docs/api-reference/crm-contacts-v3 batch update): only the
 * changed properties, 100 a call, per-record errors, a refused call split until the refused record
 * stands alone, and a move back in lifecyclestage in two steps.
 */
export async function writeHubSpotContacts(
  io: HubSpotCallIo,
  tenant: Tenant,
  writes: readonly ContactWrite[],
  mapping: CrmObjectMapping,
  stages: readonly string[],
): Promise<WriteOutcome[]> {
  const client = await io.client(tenant);
  const planned = writes
    .map((w) => ({ id: w.id, ...toProperties(w, mapping, stages) }))
    .filter((p) => Object.keys(p.first).length > 0);
  const failed = new Map<string, WriteOutcome>();
  // objectWriteTraceId (the contact id) asks HubSpot for per-record errors (multi-status) instead of
  // failing the call for one record that breaks a portal's validation rule (2026-09 and later).
  type Input = { id: string; properties: Record<string, string> };
  const recordErrors = (data: unknown) => {
    for (const e of (data as { errors?: BatchError[] }).errors ?? []) {
      const ids = e.context?.['ids'] ?? e.context?.['id'] ?? e.context?.['objectWriteTraceId'] ?? [];
      for (const id of ids) {
        const reason = `${e.category ?? 'ERROR'}: ${e.message ?? ''}`.trim();
        failed.set(id, { id, ok: false, reason, retryable: isRetryable({ code: e.category, message: reason }) });
      }
    }
  };
  // One CRM-sized call. A call refused as a whole (a 400 that names no record) is split into √n parts
  // sent side by side, recursively, until the record that causes it stands alone, so the others are
  // written: two extra rounds for 100 records instead of seven with halves (drill: poison-record,
  // where call latency, not call count, is what a poisoned batch waits on); a call that fails
  // otherwise fails only its own records — never the other calls of this write, which went through
  // and must be counted (stage entries, the decay schedule).
  const sendChunk = async (batch: Input[]): Promise<void> => {
    try {
      recordErrors(
        await io.call(tenant, 'update contacts', () =>
          client.crm.contacts.batchApi.updateWithHttpInfo({
            inputs: batch.map((b) => ({ ...b, objectWriteTraceId: b.id })),
          }),
        ),
      );
    } catch (err) {
      if (err instanceof CrmRejectedError && err.status === 400 && batch.length > 1) {
        // Parts strictly smaller than the call, so the split always ends (a call of 2 splits in 1 + 1).
        await Promise.all(chunks(batch, Math.min(batch.length - 1, Math.ceil(Math.sqrt(batch.length)))).map(sendChunk));
        return;
      }
      if (!(err instanceof CrmRejectedError || err instanceof CrmTransientError || err instanceof CrmRateLimitedError))
        throw err;
      for (const b of batch)
        failed.set(b.id, { id: b.id, ok: false, reason: err.message, retryable: !(err instanceof CrmRejectedError) });
    }
  };
  const send = (inputs: Input[]) => Promise.all(chunks(inputs, HUBSPOT_BATCH).map(sendChunk));
  await send(planned.map((p) => ({ id: p.id, properties: p.first })));
  // The second step of a move back in lifecyclestage, in its own request (batch order is not guaranteed).
  const seconds = planned
    .filter((p) => p.second && !failed.has(p.id))
    .map((p) => ({ id: p.id, properties: p.second! }));
  if (seconds.length) await send(seconds);
  return writes.map((w) => failed.get(w.id) ?? { id: w.id, ok: true });
}
