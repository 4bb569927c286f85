import { OAuthError, type Installation, type OAuthProvider, type RefreshResult } from '../../platform/oauth.ts';
import { HUBSPOT_PATHS } from './hubspot-paths.ts';

/**
 * The scopes leadstage asks for: contacts read/write (tasks are under the contacts scopes too,
 * per the tasks API's scope requirements), contact properties (setup creates leadstage's), owners.
 */
export const HUBSPOT_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'crm.objects.owners.read',
] as const;

export interface HubSpotOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Where the user consents (https://app.hubspot.com, or the sandbox). */
  authBaseUrl: string;
  /** Where tokens are exchanged (https://api.hubapi.com, or the sandbox). */
  apiBaseUrl: string;
  fetch?: typeof fetch;
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  hub_id?: number;
  scopes?: string[];
}

/**
 * HubSpot's OAuth (developers.hubspot.com/docs/api-reference/legacy/authentication/manage-oauth-tokens):
 * authorize on app.hubspot.com, tokens from POST /oauth/v3/token (form-encoded), whose answer
 * carries hub_id. Access tokens live 30 minutes; a revoked refresh token answers BAD_REFRESH_TOKEN.
 */
export function hubspotOAuth(opts: HubSpotOAuthOptions): OAuthProvider {
  const doFetch = opts.fetch ?? fetch;
  const token = async (form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await doFetch(`${opts.apiBaseUrl}${HUBSPOT_PATHS.oauthToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const credentials = (t: TokenResponse, now = Date.now()) => ({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: String(now + t.expires_in * 1000),
  });
  return {
    pkce: false,
    authorizeUrl({ state, redirectUri }) {
      const q = new URLSearchParams({
        client_id: opts.clientId,
        redirect_uri: redirectUri,
        scope: HUBSPOT_SCOPES.join(' '),
        state,
      });
      return `${opts.authBaseUrl}/oauth/authorize?${q}`;
    },
    async exchange({ code, redirectUri }): Promise<Installation> {
      const r = await token({
        grant_type: 'authorization_code',
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uri: redirectUri,
        code,
      });
      const t = r.body as unknown as TokenResponse;
      if (r.status !== 200 || !t.access_token || !t.refresh_token) {
        throw new OAuthError(
          `HubSpot refused the code (${r.status}${typeof r.body['status'] === 'string' ? ` ${r.body['status']}` : ''}); start the install again`,
        );
      }
      if (!t.hub_id) throw new OAuthError('HubSpot did not say which portal was connected (no hub_id)');
      type Details = { timeZone?: string; accountType?: string };
      const details: Details = await doFetch(`${opts.apiBaseUrl}${HUBSPOT_PATHS.accountDetails}`, {
        headers: { authorization: `Bearer ${t.access_token}` },
      }).then(
        async (res) => (res.ok ? ((await res.json()) as Details) : {}),
        () => ({}),
      );
      return {
        tenant: { crm: 'hubspot', id: String(t.hub_id) },
        credentials: credentials(t),
        tier: 'oauth:unknown',
        ...(details.timeZone ? { timezone: details.timeZone } : {}),
      };
    },
    async refresh(c): Promise<RefreshResult> {
      if (!c['refreshToken']) return { ok: false, status: 'paused', reason: 'no refresh token stored' };
      const r = await token({
        grant_type: 'refresh_token',
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        refresh_token: c['refreshToken'],
      });
      if (r.status === 200 && typeof r.body['access_token'] === 'string')
        return { ok: true, credentials: credentials(r.body as unknown as TokenResponse) };
      if (r.body['status'] === 'BAD_REFRESH_TOKEN' || r.body['error'] === 'invalid_grant')
        return {
          ok: false,
          status: 'uninstalled',
          reason: 'HubSpot: refresh token revoked (BAD_REFRESH_TOKEN): the app was uninstalled',
        };
      return { ok: false, reason: `HubSpot token endpoint answered ${r.status}` };
    },
  };
}
