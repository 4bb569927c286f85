import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = new URL('../scripts/check-structure.mjs', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;
const run = (dir: string) => spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ls-structure-'));
  temp.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('scripts/check-structure.mjs', () => {
  it('passes on this repository', () => {
    const r = run(root);
    expect(r.stdout).toMatch(/0 violations/);
    expect(r.status).toBe(0);
  });

  it.each([
    [
      'an upward import',
      { 'src/core/a.ts': "import { x } from '../config/b.ts';", 'src/config/b.ts': 'export const x = 1;' },
      /imports .* from a higher layer/,
    ],
    [
      'a peer import',
      { 'jobs/a.ts': "import { x } from '../src/crm/b.ts';", 'src/crm/b.ts': 'export const x = 1;' },
      /imports its peer src\/crm/,
    ],
    ['I/O in the core', { 'src/core/a.ts': "import { readFileSync } from 'node:fs';" }, /must stay pure/],
    ['a clock in the core', { 'src/core/a.ts': 'export const t = () => Date.now();' }, /must not read a clock/],
    ['a folder without a layer', { 'src/extra/a.ts': 'export const x = 1;' }, /has no layer/],
  ])('fails on %s', (_name, files, message) => {
    const r = run(tree(files));
    expect(r.stdout).toMatch(message);
    expect(r.status).toBe(1);
  });
});
