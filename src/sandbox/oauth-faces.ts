import { createHash, randomBytes } from 'node:crypto';

/** What the sandbox's consent screen answers: grant access, or deny it (tests of the refusal path). */
export type Consent = 'grant' | 'deny';

interface Grant {
  redirectUri: string;
  challenge?: string;
  expiresAt: number;
}

export interface OAuthReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The authorization-code half of OAuth for one sandbox CRM: a consent "screen" that redirects
 * back with a code (or an error), and the code exchange — single use, ten minutes, the same
 * redirect URI, and the PKCE verifier when a challenge was given (S256). Tokens come from the face.
 */
export class CodeFlow {
  consent: Consent = 'grant';
  private readonly grants = new Map<string, Grant>();
  readonly client: { id: string; secret: string };

  constructor(client: { id: string; secret: string }) {
    this.client = client;
  }

  authorize(query: URLSearchParams): OAuthReply {
    const redirectUri = query.get('redirect_uri') ?? '';
    const state = query.get('state') ?? '';
    if (query.get('client_id') !== this.client.id || !/^https?:\/\//.test(redirectUri)) {
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'unknown client or redirect' } };
    }
    const back = new URL(redirectUri);
    back.searchParams.set('state', state);
    if (this.consent === 'deny') {
      back.searchParams.set('error', 'access_denied');
      return { status: 302, body: '', headers: { location: back.toString() } };
    }
    const code = randomBytes(16).toString('hex');
    const challenge = query.get('code_challenge') ?? undefined;
    this.grants.set(code, { redirectUri, ...(challenge ? { challenge } : {}), expiresAt: Date.now() + 10 * 60_000 });
    back.searchParams.set('code', code);
    return { status: 302, body: '', headers: { location: back.toString() } };
  }

  /** Check a code exchange; null when valid (the code is spent), else the error to answer. */
  redeem(form: URLSearchParams): OAuthReply | null {
    if (form.get('client_id') !== this.client.id || form.get('client_secret') !== this.client.secret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'invalid client credentials' } };
    }
    const code = form.get('code') ?? '';
    const grant = this.grants.get(code);
    this.grants.delete(code);
    if (!grant || grant.expiresAt < Date.now())
      return {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'authorization code is invalid, expired or used' },
      };
    if (form.get('redirect_uri') !== grant.redirectUri)
      return { status: 400, body: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match' } };
    if (grant.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        return { status: 400, body: { error: 'invalid_grant', error_description: 'invalid code verifier' } };
      }
    }
    return null;
  }

  /** Whether this flow issued `code` and it is still outstanding (which portal a code belongs to). */
  has(code: string): boolean {
    return this.grants.has(code);
  }

  /** Let every outstanding code expire (tests of "an expired code"). */
  expireCodes(): void {
    for (const g of this.grants.values()) g.expiresAt = 0;
  }
}
