import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../platform/keys.ts';

/** What an install remembers between the redirect to the CRM and the callback. */
export interface PendingInstall {
  crm: string;
  /** PKCE code verifier (Salesforce), never sent to the browser. */
  verifier?: string;
  /** The login host chosen at install (Salesforce production or sandbox). */
  loginHost?: string;
  /** A per-tenant config file chosen by the admin who started the install. */
  configFile?: string;
}

/**
 * OAuth `state`: random, signed (HMAC, so a forged or altered one is refused without a Redis
 * lookup), expiring (10 minutes) and single-use (taken with GETDEL: a replayed callback finds
 * nothing). The pending install's secrets stay server-side under the state's id.
 */
export class OAuthStates {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly secret: Buffer;
  private readonly ttlMs: number;

  constructor(redis: Redis, keys: Keys, secret: Buffer, ttlMs = 10 * 60_000) {
    this.redis = redis;
    this.keys = keys;
    this.secret = secret;
    this.ttlMs = ttlMs;
  }

  private sign(id: string): string {
    return createHmac('sha256', this.secret).update(`oauth-state:${id}`).digest('base64url').slice(0, 32);
  }

  async create(install: PendingInstall): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.redis.set(this.keys.oauthState(id), JSON.stringify(install), 'PX', this.ttlMs);
    return `${id}.${this.sign(id)}`;
  }

  /** The pending install for this state, once; null when missing, forged, expired or used. */
  async take(state: unknown): Promise<PendingInstall | null> {
    if (typeof state !== 'string') return null;
    const [id, sig] = state.split('.');
    if (!id || !sig || !/^[A-Za-z0-9_-]{24}$/.test(id)) return null;
    const want = Buffer.from(this.sign(id));
    const given = Buffer.from(sig);
    if (want.length !== given.length || !timingSafeEqual(want, given)) return null;
    const raw = await this.redis.getdel(this.keys.oauthState(id));
    return raw ? (JSON.parse(raw) as PendingInstall) : null;
  }
}
