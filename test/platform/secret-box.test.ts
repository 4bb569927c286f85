import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseKeyList, SecretBox, SecretBoxError } from '../../src/platform/secret-box.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('SecretBox', () => {
  it('seals and opens; each seal is different; the key id travels with the value', () => {
    const box = new SecretBox(k1);
    const a = box.seal('refresh-token-1');
    expect(a).not.toContain('refresh-token-1');
    expect(a).not.toBe(box.seal('refresh-token-1'));
    expect(box.keyIdOf(a)).toBe('k1');
    expect(box.open(a)).toBe('refresh-token-1');
  });

  it('opens values sealed with a retired key after rotation, and seals with the new one', () => {
    const old = new SecretBox(k1).seal('t');
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.open(old)).toBe('t');
    expect(rotated.keyIdOf(rotated.seal('t'))).toBe('k2');
  });

  it('refuses a tampered value, an unknown key and a short key — without echoing the value', () => {
    const box = new SecretBox(k1);
    const sealed = box.seal('secret-value');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('x' + Buffer.from(parts[4]!, 'base64url').toString('latin1')).toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow(SecretBoxError);
    expect(() => new SecretBox(k2).open(sealed)).toThrow(/key "k1", which is not configured/);
    expect(() => new SecretBox({ id: 'x', key: randomBytes(16) })).toThrow(/32 bytes/);
    try {
      box.open(parts.join('.'));
    } catch (err) {
      expect(String(err)).not.toContain('secret-value');
    }
  });

  it('parses the retired-keys list', () => {
    const list = parseKeyList(` k0:${k1.key.toString('base64')}, kx:${k2.key.toString('base64')} `);
    expect(list.map((k) => k.id)).toEqual(['k0', 'kx']);
    expect(list[0]!.key.equals(k1.key)).toBe(true);
  });
});
