import { describe, expect, it } from 'vitest';
import { CLAIM, INGEST_SCRIPT, OP } from '../../src/store/ingest-script.ts';

// The TypeScript ↔ Lua protocol is defined once (OP, CLAIM) and the Lua is generated from it;
// this checks that the script compares against exactly those codes, and nothing else.
describe('INGEST_SCRIPT op codes', () => {
  it('handles every op code TypeScript can send, and no other', () => {
    const inLua = new Set([...INGEST_SCRIPT.lua.matchAll(/op\.o == '([^']*)'/g)].map((m) => m[1]));
    expect(inLua).toEqual(new Set(Object.values(OP)));
  });

  it('returns only the claim states TypeScript reads', () => {
    const inLua = new Set([...INGEST_SCRIPT.lua.matchAll(/status\[i\] = '([^']*)'/g)].map((m) => m[1]));
    expect(inLua).toEqual(new Set(Object.values(CLAIM)));
  });

  it('has one letter per op, all distinct', () => {
    const codes = Object.values(OP);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^[a-z]$/);
  });
});
