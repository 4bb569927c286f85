/**
 * The HubSpot API paths leadstage calls itself, outside the SDK's generated clients: all in one
 * place, date-versioned where HubSpot offers a date version (docs: api-reference/legacy/migration-guide).
 * (The newest @hubspot/api-client on npm, 14.0.1, still calls /crm/v3/… for every CRM object.)
 */
export const HUBSPOT_PATHS = {
  /** Account details: portalId, timeZone, accountType (developers.hubspot.com, account-information guide). */
  accountDetails: '/account-info/2026-03/details',
  /** OAuth token exchange and refresh (form-encoded); the answer carries hub_id and scopes. */
  oauthToken: '/oauth/v3/token',
} as const;
