import { CrmRejectedError, isRetryable } from '../../platform/crm-errors.ts';

/** One result of an sObject Collections create or update (developer.salesforce.com … resources_composite_sobjects_collections.htm). */
export interface SaveResult {
  id?: string;
  success: boolean;
  errors: { statusCode?: string; errorCode?: string; message: string; fields?: string[] }[];
}

/** A failed save result → the per-record outcome, classified like every other CRM failure. */
export function recordFailure(r: SaveResult | undefined): { reason: string; retryable: boolean } {
  const code = r?.errors[0]?.statusCode ?? r?.errors[0]?.errorCode ?? 'UNKNOWN';
  const reason = `${code}: ${r?.errors.map((e) => e.message).join('; ') ?? 'no result'}`;
  return { reason, retryable: isRetryable({ code, message: reason }) };
}

export const soqlId = (id: string) => {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id)) throw new CrmRejectedError(400, `not a Salesforce id: ${id}`);
  return `'${id}'`;
};
