/** Key prefixes of the records leadstage reads from Salesforce. */
export const KEY_PREFIX = { lead: '00Q', contact: '003', organization: '00D' } as const;

/**
 * A Salesforce record id: 15 or 18 letters and digits, starting with one of `prefixes` when given
 * (00Q Lead, 003 Contact, 00D Organization). Anything else never reaches a key or a SOQL query.
 */
export function isSalesforceId(id: string, prefixes?: readonly string[]): boolean {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id)) return false;
  return !prefixes || prefixes.some((p) => id.startsWith(p));
}
