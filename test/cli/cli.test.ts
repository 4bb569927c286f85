import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CONTACT = join(ROOT, 'test/fixtures/contacts/demo-request-vp.json');
const NOW_ARG = ['--now', '2026-11-23T14:04:00Z'];

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = main(
    argv,
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { LEADSTAGE_CONFIG: join(ROOT, 'config/leadstage.yaml'), ...env },
      readFile: (p) => readFileSync(p, 'utf8'),
    },
    () => new Date('2026-11-23T14:04:00Z'),
  );
  if (typeof code !== 'number') throw new Error('expected a synchronous command');
  return { code, stdout, stderr };
}

function tmpFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ls-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('leadstage check-config', () => {
  it('prints a one-line summary and exits 0 for a valid config', () => {
    const r = run(['check-config', join(ROOT, 'config/leadstage.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(
      /leadstage\.yaml: OK — 16 activity rules, 4 property rules, 8 fit rules, grades A\/B\/C\/D, 8 stages \(regression: never\), 2 task rules, 3\/4 active owners in 2 pools, CRMs: hubspot, salesforce.lead, salesforce.contact/,
    );
  });

  it('uses LEADSTAGE_CONFIG when no path is given', () => {
    const path = tmpFile('x.yaml', 'version: 2\n');
    const r = run(['check-config'], { LEADSTAGE_CONFIG: path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:1 version`);
  });

  it('exits 1 and lists every problem with file:line and path', () => {
    const bad = readFileSync(join(ROOT, 'config/leadstage.yaml'), 'utf8')
      .replace('weight: 2,', 'weight: -1,')
      .replace('onEnter: salesqualifiedlead', 'onEnter: sql');
    const path = tmpFile('bad.yaml', bad);
    const r = run(['check-config', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid config \(2 problems\)/);
    expect(r.stderr).toMatch(
      new RegExp(`${path}:\\d+ assignment\\.owners\\[0\\]\\.weight: owner weight must be above 0`),
    );
    expect(r.stderr).toMatch(new RegExp(`${path}:\\d+ tasks\\[1\\]\\.onEnter: unknown stage "sql"`));
  });

  it('rejects extra arguments with exit 2', () => {
    expect(run(['check-config', 'a', 'b']).code).toBe(2);
  });
});

describe('leadstage score', () => {
  it('prints a readable plan with a reasons table', () => {
    const r = run(['score', CONTACT, ...NOW_ARG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Stage     lead → marketingqualifiedlead');
    expect(r.stdout).toMatch(
      /\[high\] call due 2026-11-23T14:09:00.000Z \(Mon 2026-11-23 09:09 EST, SLA hot-inbound\)/,
    );
    expect(r.stdout).toMatch(/activity\s+demo-request\s+\+40\s+1/);
    expect(r.stdout).toMatch(/Writes {4}score, grade, reasons, stage, leadStatus, ownerId/);
  });

  it('prints the plan as JSON with --json', () => {
    const r = run(['score', CONTACT, ...NOW_ARG, '--json']);
    const plan = JSON.parse(r.stdout);
    expect(plan.stage).toMatchObject({ from: 'lead', to: 'marketingqualifiedlead', changed: true });
    expect(plan.tasks[0].key).toMatch(/^[0-9a-f]{40}$/);
    expect(plan.plannedAt).toBe('2026-11-23T14:04:00.000Z');
  });

  it('uses the injected clock when --now is absent', () => {
    const plan = JSON.parse(run(['score', CONTACT, '--json']).stdout);
    expect(plan.plannedAt).toBe('2026-11-23T14:04:00.000Z');
  });

  it.each([
    ['a bad --now', ['score', CONTACT, '--now', 'tuesday'], 2, /--now: "tuesday" is not a date/],
    ['no file', ['score'], 2, /usage: leadstage score/],
    ['an unknown flag', ['score', CONTACT, '--fast'], 2, /Unknown option '--fast'/],
    ['a missing file', ['score', '/nonexistent/c.json'], 1, /cannot read contact JSON/],
  ])('rejects %s', (_, argv, code, message) => {
    const r = run(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('names the path of an invalid contact field', () => {
    const path = tmpFile(
      'c.json',
      JSON.stringify({
        crm: 'pipedrive',
        id: '1',
        activities: [{ id: 'a', type: 'email_open', occurredAt: 'yesterday' }],
      }),
    );
    const r = run(['score', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/c\.json crm: Invalid option/);
    expect(r.stderr).toMatch(/c\.json activities\[0\]\.occurredAt: not a date/);
  });

  it.each([
    [
      'an unknown activity type',
      { activities: [{ id: 'a', type: 'emial_open', occurredAt: '2026-11-20T10:00:00Z' }] },
      /c\.json activities\[0\]\.type: unknown activity type "emial_open"/,
    ],
    [
      'an unknown field',
      { fields: { jobTitel: 'VP Sales' } },
      /c\.json fields\.jobTitel: unknown field \(the config maps: .*jobTitle/,
    ],
  ])('rejects %s with exit 1 and its path, instead of scoring it 0', (_, extra, message) => {
    const path = tmpFile('c.json', JSON.stringify({ crm: 'hubspot', id: '1', ...extra }));
    const r = run(['score', path, ...NOW_ARG]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it("keeps the README's check-config example true (its file:line and messages)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const text = readFileSync(join(ROOT, 'config/leadstage.yaml'), 'utf8')
      .replace('activity: email_open,', 'activity: emial_open,')
      .replace(/(key: rep-2, .*weight: )1 }/, '$10 }');
    const path = join(mkdtempSync(join(tmpdir(), 'ls-cli-')), 'leadstage.yaml');
    writeFileSync(path, text);
    const r = run(['check-config', path]);
    for (const line of r.stderr.trim().split('\n').slice(1))
      expect(readme).toContain(line.trim().replace(path, 'config/leadstage.yaml'));
  });

  it('runs as a real process through the bin', () => {
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'bin/leadstage.mjs'), 'score', CONTACT, ...NOW_ARG, '--json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(JSON.parse(out).score.total).toBeGreaterThan(60);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/leadstage.mjs'), 'frobnicate'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });
});
