import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A sealed value could not be opened: a wrong or retired key, or tampering. Never carries the value. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export interface SecretKey {
  /** Short id stored with each sealed value, so the key can be rotated. */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/**
 * Tokens at rest: AES-256-GCM with a random 96-bit IV per value, sealed as
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). Opens with any known key; seals with the
 * current one. Errors never include plaintext or ciphertext.
 */
export class SecretBox {
  private readonly current: SecretKey;
  private readonly byId: Map<string, Buffer>;

  constructor(current: SecretKey, older: readonly SecretKey[] = []) {
    for (const k of [current, ...older]) {
      if (k.key.length !== 32)
        throw new SecretBoxError(`encryption key "${k.id}" must be 32 bytes (got ${k.key.length})`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(k.id))
        throw new SecretBoxError('an encryption key id is letters, digits, "-" and "_"');
    }
    this.current = current;
    this.byId = new Map([...older, current].map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      this.current.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  /** The key id a sealed value was sealed with (to find values to re-encrypt). */
  keyIdOf(sealed: string): string {
    return sealed.split('.')[1] ?? '';
  }

  open(sealed: string): string {
    const [v, id, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !id || !iv || !tag || ct === undefined) throw new SecretBoxError('not a sealed value');
    const key = this.byId.get(id);
    if (!key)
      throw new SecretBoxError(`sealed with key "${id}", which is not configured (LEADSTAGE_ENCRYPTION_OLD_KEYS)`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`cannot open a value sealed with key "${id}": wrong key or tampered`);
    }
  }
}

/** `id:base64,id:base64` → keys (the retired ones, still able to open). */
export function parseKeyList(list: string | undefined): SecretKey[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      return { id: entry.slice(0, i), key: Buffer.from(entry.slice(i + 1), 'base64') };
    });
}
