import { OAuthError, type Installation, type OAuthProvider, type RefreshResult } from '../../platform/oauth.ts';

export interface SalesforceOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** https://login.salesforce.com (production) or https://test.salesforce.com (sandboxes). */
  loginUrl: string;
  fetch?: typeof fetch;
}

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  instance_url: string;
  /** https://login.salesforce.com/id/<orgId>/<userId> */
  id: string;
}

/**
 * Salesforce's OAuth 2.0 web-server flow with PKCE (S256) for an External Client App
 * (help.salesforce.com "OAuth 2.0 Web Server Flow"); a confidential client sends both the secret
 * and the verifier. The token answer's `id` URL names the org. Refresh-token rotation: a refresh
 * may return a new refresh token, which replaces the old one.
 */
export function salesforceOAuth(opts: SalesforceOAuthOptions): OAuthProvider {
  const doFetch = opts.fetch ?? fetch;
  const host = (loginHost?: string) => loginHost ?? opts.loginUrl;
  const token = async (loginHost: string, form: Record<string, string>) => {
    const res = await doFetch(`${loginHost}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
  return {
    pkce: true,
    authorizeUrl({ state, redirectUri, codeChallenge, loginHost }) {
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: opts.clientId,
        redirect_uri: redirectUri,
        state,
        scope: 'api refresh_token',
        ...(codeChallenge ? { code_challenge: codeChallenge, code_challenge_method: 'S256' } : {}),
      });
      return `${host(loginHost)}/services/oauth2/authorize?${q}`;
    },
    async exchange({ code, redirectUri, codeVerifier, loginHost }): Promise<Installation> {
      const r = await token(host(loginHost), {
        grant_type: 'authorization_code',
        code,
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uri: redirectUri,
        ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
      });
      const t = r.body as unknown as TokenResponse;
      if (r.status !== 200 || !t.access_token || !t.instance_url) {
        throw new OAuthError(
          `Salesforce refused the code (${r.status}${typeof r.body['error'] === 'string' ? ` ${r.body['error']}` : ''}); start the install again`,
        );
      }
      const org = /\/id\/(00D[A-Za-z0-9]{12,15})\//.exec(t.id ?? '')?.[1];
      if (!org) throw new OAuthError('Salesforce did not say which org was connected (no id URL)');
      if (!t.refresh_token)
        throw new OAuthError(
          'Salesforce issued no refresh token: add the refresh_token scope to the External Client App',
        );
      return {
        tenant: { crm: 'salesforce', id: org.slice(0, 15) },
        credentials: {
          accessToken: t.access_token,
          refreshToken: t.refresh_token,
          clientId: opts.clientId,
          clientSecret: opts.clientSecret,
          loginUrl: host(loginHost),
        },
        instanceUrl: t.instance_url,
      };
    },
    async refresh(c): Promise<RefreshResult> {
      if (!c['refreshToken']) return { ok: false, status: 'paused', reason: 'no refresh token stored' };
      const r = await token(c['loginUrl'] ?? opts.loginUrl, {
        grant_type: 'refresh_token',
        refresh_token: c['refreshToken'],
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
      });
      const t = r.body as unknown as TokenResponse;
      if (r.status === 200 && t.access_token)
        return {
          ok: true,
          credentials: { accessToken: t.access_token, ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}) },
        };
      if (r.body['error'] === 'invalid_grant')
        return {
          ok: false,
          status: 'paused',
          reason: 'Salesforce refused the refresh token (invalid_grant): reconnect the org',
        };
      return { ok: false, reason: `Salesforce token endpoint answered ${r.status}` };
    },
  };
}
