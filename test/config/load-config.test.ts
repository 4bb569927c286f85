import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatIssue } from '../../src/config/config-error.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load-config.ts';

const DEFAULT_PATH = new URL('../../config/leadstage.yaml', import.meta.url).pathname;
const DEFAULT_TEXT = readFileSync(DEFAULT_PATH, 'utf8');

/** The shipped config with one change applied at `path` (undefined deletes the key). */
function edited(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(DEFAULT_TEXT);
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, doc.createNode(value));
  return doc.toString();
}

function issuesOf(text: string) {
  const r = parseConfig(text, 'leadstage.yaml');
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.error.issues;
}

describe('the shipped config', () => {
  it('is valid', () => {
    const r = loadConfigFile(DEFAULT_PATH);
    expect(r.ok ? 'ok' : r.error.message).toBe('ok');
  });
});

describe('owners and CRM mappings', () => {
  it('accepts the older hubspotOwnerId / salesforceUserId spellings as ids', () => {
    const text = edited(['assignment', 'owners', 0], {
      key: 'rep-1',
      hubspotOwnerId: '1001',
      salesforceUserId: '005000000000001AAA',
      weight: 2,
    });
    const r = parseConfig(text, 'leadstage.yaml');
    expect(r.ok && r.config.assignment.owners[0]).toMatchObject({
      key: 'rep-1',
      ids: { hubspot: '1001', salesforce: '005000000000001AAA' },
    });
  });

  it('takes a mapping for any CRM name, as one mapping or one per object type', () => {
    const hubspot = parseDocument(DEFAULT_TEXT).getIn(['crm', 'hubspot']) as { toJSON(): unknown };
    const text = edited(['crm', 'pipedrive'], { person: hubspot.toJSON() });
    const r = parseConfig(text, 'leadstage.yaml');
    expect(r.ok && Object.keys(r.config.crm)).toEqual(['hubspot', 'salesforce', 'pipedrive']);
  });
});

describe('invalid configs name the path and the reason', () => {
  const cases: [string, (string | number)[], unknown, string, RegExp][] = [
    [
      'unknown activity type',
      ['engagement', 'rules', 0, 'activity'],
      'emial_open',
      'engagement.rules[0].activity',
      /unknown activity type "emial_open"/,
    ],
    ['thresholds out of order', ['lifecycle', 'criteria', 'lead', 'minEngagement'], 5, '', /./], // placeholder replaced below
    ['task for a stage that does not exist', ['tasks', 0, 'onEnter'], 'mql', 'tasks[0].onEnter', /unknown stage "mql"/],
    ['task for a sales-owned stage', ['tasks', 1, 'onEnter'], 'customer', 'tasks[1].onEnter', /sales-owned/],
    [
      'owner weight zero',
      ['assignment', 'owners', 1, 'weight'],
      0,
      'assignment.owners[1].weight',
      /owner weight must be above 0/,
    ],
    [
      'away ending before it starts',
      ['assignment', 'owners', 0, 'away'],
      [{ from: '2026-12-20', until: '2026-12-10' }],
      'assignment.owners[0].away[0]',
      /away until 2026-12-10, before it starts/,
    ],
    [
      'away day not a date',
      ['assignment', 'owners', 0, 'away'],
      [{ from: 'monday', until: '2026-12-10' }],
      'assignment.owners[0].away[0].from',
      /use YYYY-MM-DD/,
    ],
    [
      'recycling forward',
      ['lifecycle', 'recycle', 'to'],
      'salesqualifiedlead',
      'lifecycle.recycle.from[0]',
      /must come after "salesqualifiedlead"/,
    ],
    [
      'recycling a sales-owned stage',
      ['lifecycle', 'recycle', 'from'],
      ['opportunity'],
      'lifecycle.recycle.from[0]',
      /owned by sales/,
    ],
    [
      'recycling into an unknown stage',
      ['lifecycle', 'recycle', 'to'],
      'nurturing',
      'lifecycle.recycle.to',
      /unknown stage "nurturing"/,
    ],
    [
      'recycle status the CRM cannot write',
      ['lifecycle', 'recycle', 'leadStatus'],
      'recycled',
      'crm.hubspot.leadStatusValues',
      /lead status "recycled" has no value/,
    ],
    [
      'owner weight negative',
      ['assignment', 'owners', 0, 'weight'],
      -2,
      'assignment.owners[0].weight',
      /above 0 \(got -2\)/,
    ],
    [
      'pool names an unknown owner',
      ['assignment', 'pools', 1, 'owners', 0],
      'rep-99',
      'assignment.pools[1].owners[0]',
      /unknown owner "rep-99"/,
    ],
    ['unknown group', ['engagement', 'rules', 0, 'group'], 'mail', 'engagement.rules[0].group', /unknown group "mail"/],
    [
      'minGrade that is not a grade',
      ['lifecycle', 'criteria', 'marketingqualifiedlead', 'minGrade'],
      'A+',
      'lifecycle.criteria.marketingqualifiedlead.minGrade',
      /unknown grade "A\+"/,
    ],
    ['grades out of order', ['fit', 'grades', 1, 'minPoints'], 50, 'fit.grades[1].minPoints', /grades out of order/],
    ['last grade with a threshold', ['fit', 'grades', 3, 'minPoints'], 0, 'fit.grades[3].minPoints', /last grade/],
    [
      'bad regex',
      ['fit', 'rules', 3, 'when', 'matches'],
      '(vp',
      'fit.rules[3].when.matches',
      /not a valid regular expression/,
    ],
    [
      'field not mapped from any CRM',
      ['fit', 'rules', 0, 'field'],
      'industy',
      'fit.rules[0]',
      /field "industy" is not mapped/,
    ],
    ['unknown time zone', ['businessHours', 'timezone'], 'Mars/Olympus', 'businessHours.timezone', /unknown time zone/],
    ['business hours end before start', ['businessHours', 'end'], '08:00', 'businessHours.end', /must be after start/],
    ['malformed hour', ['businessHours', 'start'], '9am', 'businessHours.start', /HH:MM/],
    ['unknown key (typo)', ['engagement', 'halfLifeDay'], 30, 'engagement', /Unrecognized key: "halfLifeDay"/],
    ['wrong type', ['engagement', 'halfLifeDays'], 'thirty', 'engagement.halfLifeDays', /expected number/],
    ['negative half-life', ['engagement', 'halfLifeDays'], -1, 'engagement.halfLifeDays', /Too small/],
    ['zero points', ['engagement', 'rules', 0, 'points'], 0, 'engagement.rules[0].points', /non-zero/],
    [
      'unknown template variable',
      ['tasks', 0, 'subject'],
      'Call {{fullName}}',
      'tasks[0].subject',
      /unknown template variable \{\{fullName\}\}/,
    ],
    [
      'last SLA rule with a condition',
      ['tasks', 1, 'sla', 0, 'whenMinGrade'],
      'A',
      'tasks[1].sla[0]',
      /last SLA rule must have no conditions/,
    ],
    [
      'SLA on an unknown activity',
      ['tasks', 0, 'sla', 0, 'whenActivity', 0],
      'demo',
      'tasks[0].sla[0].whenActivity[0]',
      /unknown activity type "demo"/,
    ],
    [
      'criteria for an unknown stage',
      ['lifecycle', 'criteria', 'hot'],
      { minScore: 90 },
      'lifecycle.criteria.hot',
      /unknown stage "hot"/,
    ],
    [
      'criteria on a sales-owned stage',
      ['lifecycle', 'criteria', 'customer'],
      { minScore: 200 },
      'lifecycle.criteria.customer',
      /sales-owned/,
    ],
    [
      'lead status without a CRM value',
      ['crm', 'hubspot', 'leadStatusValues', 'nurture'],
      undefined,
      'crm.hubspot.leadStatusValues',
      /lead status "nurture" has no value/,
    ],
    [
      'stage value for an unknown stage',
      ['crm', 'salesforce', 'lead', 'stageValues', 'hot'],
      'Hot',
      'crm.salesforce.lead.stageValues.hot',
      /unknown stage "hot"/,
    ],
    [
      'duplicate rule id',
      ['engagement', 'rules', 1, 'id'],
      'email-open',
      'engagement.rules[1].id',
      /id "email-open" is used twice/,
    ],
    ['wrong version', ['version'], 2, 'version', /expected 1/],
    [
      'field test with both forms',
      ['fit', 'rules', 1, 'field'],
      'industry',
      'fit.rules[1]',
      /either field \+ when, or anyOf, or allOf/,
    ],
    [
      'unknown key in a CRM mapping',
      ['crm', 'hubspot', 'write', 'scroe'],
      'x',
      'crm.hubspot.write',
      /Unrecognized key: "scroe"/,
    ],
    [
      'unknown key in a per-object mapping',
      ['crm', 'salesforce', 'lead', 'fields', 'email'],
      3,
      'crm.salesforce.lead.fields.email',
      /expected string/,
    ],
    [
      'owner without any CRM id',
      ['assignment', 'owners', 0, 'ids'],
      {},
      'assignment.owners[0]',
      /needs its id in at least one CRM/,
    ],
  ];
  // Thresholds out of order: the MQL score above the SQL score.
  cases[1] = [
    'thresholds out of order',
    ['lifecycle', 'criteria', 'salesqualifiedlead', 'minScore'],
    10,
    'lifecycle.criteria.salesqualifiedlead.minScore',
    /thresholds out of order: salesqualifiedlead needs minScore 10, below marketingqualifiedlead's 60/,
  ];

  it.each(cases)('%s', (_, path, value, expectedPath, message) => {
    const issues = issuesOf(edited(path, value));
    const hit = issues.find((i) => i.path === expectedPath && message.test(i.message));
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit!.line).toBeGreaterThan(0);
  });

  it('points at the line of the offending value', () => {
    const text = DEFAULT_TEXT.replace('halfLifeDays: 30 ', 'halfLifeDays: -3 ');
    const [issue] = issuesOf(text);
    const line = DEFAULT_TEXT.split('\n').findIndex((l) => l.includes('halfLifeDays: 30')) + 1;
    expect(issue).toMatchObject({ path: 'engagement.halfLifeDays', line });
    expect(formatIssue('leadstage.yaml', issue!)).toBe(
      `leadstage.yaml:${line} engagement.halfLifeDays: Too small: expected number to be >0`,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const [issue] = issuesOf('version: 1\nengagement:\n  rules: [unclosed\n');
    expect(issue!.message).toMatch(/^YAML: /);
    expect(issue!.line).toBeGreaterThan(0);
  });

  it('reports duplicate keys', () => {
    expect(issuesOf('version: 1\nversion: 1\n')[0]!.message).toMatch(/unique/i);
  });

  it('names a missing file', () => {
    const r = loadConfigFile(join(mkdtempSync(join(tmpdir(), 'ls-')), 'nope.yaml'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(
      /nope\.yaml:\n {2}.*nope\.yaml \(root\): cannot read the config: file not found/,
    );
  });

  it('reads a config from any path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ls-')), 'custom.yaml');
    writeFileSync(path, edited(['engagement', 'halfLifeDays'], 14));
    const r = loadConfigFile(path);
    expect(r.ok && r.config.engagement.halfLifeDays).toBe(14);
  });
});
