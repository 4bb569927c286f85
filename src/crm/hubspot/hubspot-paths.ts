/**
 * The HubSpot API paths leadstage calls itself, outside the SDK's generated clients: all in one
 * place, date-versioned where HubSpot offers a date version (docs: api-reference/legacy/migration-guide).
 * leadstage uses the newest @hubspot/api-client on npm (14.0.1); it still calls /crm/v3/… for every
 * CRM object and offers no date-versioned client yet, so those calls go through the SDK as they
 * are; moving them is a change to the adapter's calls only (HubSpot documents the same bodies at
 * /crm/objects/2026-03/…, e.g. POST /crm/objects/2026-03/tasks).
 */
export const HUBSPOT_PATHS = {
  /** Account details: portalId, timeZone, accountType (developers.hubspot.com, account-information guide). */
  accountDetails: '/account-info/2026-03/details',
  /** OAuth token exchange and refresh (form-encoded); the answer carries hub_id and scopes. */
  oauthToken: '/oauth/v3/token',
} as const;
