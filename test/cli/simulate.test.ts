import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/cli/simulate-html.ts';
import { simulateCommand } from '../../src/cli/simulate.ts';
import type { OpenSource } from '../../src/cli/simulate-source.ts';
import type { Activity } from '../../src/core/types.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';

// `leadstage simulate` on the in-process FakeCrm (the CrmPort's paged listContacts) and fake
// stores: the new config lowers the MQL engagement bar from 25 to 10, so the 30 engaged, well-fitting
// leads become MQLs with a follow-up task each; the 20 quiet subscribers stay.
const ROOT = new URL('../..', import.meta.url).pathname;
const NOW = new Date('2026-11-23T15:00:00Z');
const tenant = { crm: 'hubspot', id: '62515' };
const dir = mkdtempSync(join(tmpdir(), 'lssim-'));
const shipped = readFileSync(`${ROOT}config/leadstage.yaml`, 'utf8');
const NEW = join(dir, 'new.yaml');
writeFileSync(
  NEW,
  shipped.replace(
    'marketingqualifiedlead: { minScore: 60, minGrade: B, minEngagement: 25 }',
    'marketingqualifiedlead: { minScore: 60, minGrade: B, minEngagement: 10 }',
  ),
);
const BAD = join(dir, 'bad.yaml');
writeFileSync(BAD, shipped.replace(/(key: rep-2, ids: \{[^}]*\}, weight: )1\b/, '$10'));

function world() {
  const crm = new FakeCrm('hubspot');
  crm.batchLimits = { list: 20, write: 100 };
  crm.owners = [
    { id: '1001', active: true },
    { id: '1002', active: true },
    { id: '1003', active: true },
  ];
  const activities = new Map<string, Activity[]>();
  for (let i = 0; i < 30; i++) {
    const id = String(100 + i);
    crm.add({
      objectType: 'contact',
      id,
      stage: 'lead',
      leadStatus: null,
      ownerId: null,
      fields: { jobTitle: 'VP Marketing', industry: 'Software', employeeBand: '100-500', country: 'United States' },
    });
    activities.set(id, [
      { id: `d${i}`, type: 'content_download', at: NOW.getTime() - 3_600_000, attributes: {} },
      { id: `o${i}`, type: 'email_open', at: NOW.getTime() - 3_600_000, attributes: {} },
    ]);
  }
  for (let i = 0; i < 20; i++)
    crm.add({
      objectType: 'contact',
      id: String(200 + i),
      stage: 'subscriber',
      leadStatus: null,
      ownerId: null,
      fields: {},
    });
  const store = new FakeRecomputeStore();
  let closed = 0;
  const open: OpenSource = async () => ({
    tenant,
    current: defaultConfig(),
    quota: { max: 110, windowMs: 10_000 },
    close: async () => void (closed += 1),
    deps: {
      crm,
      activities: { activitiesMany: async (_t, ids) => new Map(ids.map((id) => [id, activities.get(id) ?? []])) },
      state: store,
      owners: async () => crm.listOwners(),
      awayOwners: async () => new Map(),
    },
  });
  return { crm, store, open, closed: () => closed };
}

async function run(args: string[], w = world()) {
  let stdout = '';
  let stderr = '';
  const files = new Map<string, string>();
  const code = await simulateCommand(
    args,
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readFile: () => '',
      writeFile: (p, t) => void files.set(p, t),
      env: { REDIS_URL, LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml` },
    },
    () => NOW,
    w.open,
  );
  return { code, stdout, stderr, files, ...w };
}

describe('leadstage simulate (FakeCrm)', () => {
  it('--json: 30 leads become MQLs with a task each, shared 2:1 by the rotation; cost in pages; nothing written', async () => {
    const r = await run(['--config', NEW, '--tenant', 'hubspot:62515', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ tenant: 'hubspot:62515', contacts: 50, sample: null, crmCallsMade: 4 });
    const at = (from: string, to: string) =>
      out.stages.matrix[out.stages.labels.indexOf(from)][out.stages.labels.indexOf(to)];
    expect(at('lead', 'marketingqualifiedlead')).toBe(30);
    expect(at('lead', 'lead')).toBe(0);
    expect(at('subscriber', 'subscriber')).toBe(20);
    expect(out.stages.moved).toBe(30);
    expect(out.tasks).toEqual({
      total: 30,
      baseline: 0,
      byOwner: [
        { ownerId: '1001', name: 'rep-1', count: 20 },
        { ownerId: '1002', name: 'rep-2', count: 10 },
      ],
    });
    expect(out.histogram.before.reduce((a: number, b: number) => a + b)).toBe(50);
    expect(out.movers).toHaveLength(10);
    for (const m of out.movers) expect(m.stage).toEqual(['lead', 'marketingqualifiedlead']);
    // 50 contacts in pages of 20 and the owners: 4 reads; every contact gets its first score: 1 write; 1 task batch.
    expect(out.cost).toEqual({
      changedContacts: 50,
      readCalls: 4,
      writeCalls: 1,
      taskCalls: 1,
      totalCalls: 6,
      limit: { max: 110, windowMs: 10_000 },
      seconds: 0,
      rescoreSeconds: 0,
    });
    expect(r.crm.callLog).toEqual(['list', 'owners', 'list', 'list']);
    expect(r.crm.writes).toEqual([]);
    expect(r.crm.tasks).toEqual([]);
    expect(r.store.rotation.size).toBe(0); // the rotation's picks stay in memory
    expect(r.store.entries.size).toBe(0);
    expect(r.closed()).toBe(1);
  });

  it('prints side-by-side histograms, the stage matrix, tasks by owner, ids of movers and the cost', async () => {
    const r = await run(['--config', NEW, '--tenant', 'hubspot:62515']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Score {8}before \(current config\) +after \(new config\)$/m);
    expect(r.stdout).toMatch(/^ {2}0–9 {8}█+ +20 {3}█+ +20$/m);
    expect(r.stdout).toMatch(/^ {2}70–79 {6}█+ +30 {3}█+ +30$/m);
    expect(r.stdout).toMatch(/30 contact\(s\) change stage/);
    expect(r.stdout).toMatch(/^ {2}\[2\] lead +· +· +30$/m);
    expect(r.stdout).toMatch(/^ {2}rep-1 \(1001\) +20$/m);
    expect(r.stdout).toMatch(/^ {2}contact:100 +score +75 → 75 +stage lead → marketingqualifiedlead$/m);
    expect(r.stdout).toMatch(
      /Applying it {2}6 CRM call\(s\): 4 read\(s\), 1 batch write\(s\) for 50 changed contact\(s\), 1 task batch\(es\)/,
    );
    expect(r.stdout).not.toMatch(/VP Marketing|@/);
  });

  it('--sample stops after N contacts, reading only the pages it needs', async () => {
    const r = await run(['--config', NEW, '--tenant', 'hubspot:62515', '--sample', '25', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ contacts: 25, sample: 25 });
    expect(out.cost.readCalls).toBe(3); // 2 pages and the owners
    expect(r.crm.callLog.filter((c) => c === 'list')).toHaveLength(2);
  });

  it('--html writes one self-contained page with the charts and tables', async () => {
    const r = await run(['--config', NEW, '--tenant', 'hubspot:62515', '--html', 'report.html']);
    expect(r.code, r.stderr).toBe(0);
    const html = r.files.get('report.html')!;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<style>[^<]+<\/style>/);
    expect(html).toMatch(/<svg [^>]*>.*<rect /s);
    expect(html).toMatch(/<th class="l">lead<\/th>(<td[^>]*>[^<]*<\/td>)*<td style="[^"]+">30<\/td>/);
    expect(html).toMatch(/<td class="l">rep-1<\/td><td class="l">1001<\/td><td>20<\/td>/);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b|@import|url\(/i);
    expect(r.stdout).toMatch(/wrote report\.html/);
  });

  it('escapes what comes from the CRM or the config in the page', () => {
    expect(escapeHtml(`<img src="x" onerror='y'>&`)).toBe('&lt;img src=&quot;x&quot; onerror=&#39;y&#39;&gt;&amp;');
  });

  it('refuses an invalid new config with exit 1, naming the path and the reason', async () => {
    const r = await run(['--config', BAD, '--tenant', 'hubspot:62515']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+ assignment\.owners\[1\]\.weight: owner weight must be above 0/);
    expect(r.crm.calls).toBe(0);
  });

  it.each([
    [[], /usage: leadstage simulate/],
    [['--config'], /usage|argument missing/],
    [['--config', NEW, '--sample', '0'], /--sample: not a positive whole number: 0/],
    [['--config', NEW, '--sample', '2.5'], /--sample: not a positive whole number/],
    [['--config', NEW, '--tenant', 'pipedrive:1'], /usage/],
    [['--config', NEW, '--tenant', '62515'], /usage/],
    [['--config', NEW, 'extra'], /usage/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
