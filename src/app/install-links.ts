import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long an install link with a config choice stays valid unless said otherwise. */
export const INSTALL_LINK_DAYS = 7;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$/;

function sign(secret: Buffer, crm: string, name: string, expiresAt: number): string {
  return createHmac('sha256', secret)
    .update(`install-config:${crm}:${name}:${expiresAt}`)
    .digest('base64url')
    .slice(0, 32);
}

/**
 * The query of an install link that picks a config file, signed by the operator's deployment:
 * `config` is a file name inside TENANT_CONFIG_DIR. The install route is anonymous, so a config
 * choice is honoured only with a valid signature — nobody can pick a profile (another customer's
 * owners and rules) or a path by editing the URL.
 */
export function installConfigQuery(secret: Buffer, crm: string, name: string, expiresAt: number): URLSearchParams {
  if (!NAME.test(name)) throw new Error(`not a config file name: ${name} (letters, digits, . _ -; no folders)`);
  return new URLSearchParams({ config: name, exp: String(expiresAt), sig: sign(secret, crm, name, expiresAt) });
}

/**
 * The config name an install link carries: none (no `config` in the query), the name when its
 * signature holds and it has not expired, or why it is refused.
 */
export function installConfigOf(
  secret: Buffer,
  crm: string,
  query: Record<string, unknown>,
  now: number,
): { ok: true; name: string | null } | { ok: false; reason: string } {
  const { config, exp, sig } = query;
  if (config === undefined) return { ok: true, name: null };
  if (typeof config !== 'string' || typeof exp !== 'string' || typeof sig !== 'string' || !NAME.test(config))
    return { ok: false, reason: 'malformed' };
  const want = Buffer.from(sign(secret, crm, config, Number(exp)));
  const given = Buffer.from(sig);
  if (want.length !== given.length || !timingSafeEqual(want, given)) return { ok: false, reason: 'bad_signature' };
  if (!(Number(exp) > now)) return { ok: false, reason: 'expired' };
  return { ok: true, name: config };
}
