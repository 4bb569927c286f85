import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigSource } from '../../src/app/config-source.ts';
import { defaultConfig } from '../helpers/fixtures.ts';

const TEXT = readFileSync(new URL('../../config/leadstage.yaml', import.meta.url), 'utf8');

function setUp() {
  const path = join(mkdtempSync(join(tmpdir(), 'ls-reload-')), 'leadstage.yaml');
  writeFileSync(path, TEXT);
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { path, lines, source: new ConfigSource(path, defaultConfig(), log) };
}

describe('ConfigSource', () => {
  it('switches to a valid new config, with a new version, and tells its listeners', () => {
    const { path, source } = setUp();
    const seen: number[] = [];
    source.onChange((c) => seen.push(c.engagement.halfLifeDays));
    const before = source.version;
    writeFileSync(path, TEXT.replace('halfLifeDays: 30 ', 'halfLifeDays: 14 '));
    expect(source.reload()).toBe(true);
    expect(source.current.engagement.halfLifeDays).toBe(14);
    expect(source.version).not.toBe(before);
    expect(seen).toEqual([14]);
    expect(source.reload()).toBe(false); // unchanged text: nothing to do
  });

  it('keeps the old config on an invalid one, logging each problem with its path and line', () => {
    const { path, lines, source } = setUp();
    const before = source.version;
    writeFileSync(path, TEXT.replace('halfLifeDays: 30 ', 'halfLifeDays: -3 '));
    expect(source.reload()).toBe(false);
    expect(source.current.engagement.halfLifeDays).toBe(30);
    expect(source.version).toBe(before);
    const line = TEXT.split('\n').findIndex((l) => l.includes('halfLifeDays: 30')) + 1;
    expect(lines.some((l) => String(l['problem']).includes(`leadstage.yaml:${line} engagement.halfLifeDays`))).toBe(
      true,
    );
  });
});
