import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

// HubSpot's properties API: GET/POST /crm/v3/properties/contacts and …/contacts/groups.
const API = 'https://api.hubapi.com';
const ROOT = new URL('../..', import.meta.url).pathname;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

async function setup(env: Record<string, string> = { HUBSPOT_ACCESS_TOKEN: 'pat-x' }) {
  let stdout = '';
  let stderr = '';
  const code = await main(['setup', 'hubspot', '--config', `${ROOT}config/leadstage.yaml`], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    readFile: () => '',
  });
  return { code, stdout, stderr };
}

const property = (name: string) => ({
  name,
  label: name,
  type: 'string',
  fieldType: 'text',
  groupName: 'leadstage',
  options: [],
  description: '',
});
// GET /crm/v3/properties/contacts/{name} of an enumeration (developers.hubspot.com/docs/api/crm/properties).
const enumeration = (name: string, values: string[]) => ({
  name,
  label: name,
  type: 'enumeration',
  fieldType: 'select',
  groupName: 'contactinformation',
  description: '',
  options: values.map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false })),
});
const STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
const STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
];
function vocabulary(stages = STAGES, statuses = STATUSES): void {
  nock(API)
    .get('/crm/v3/properties/contacts/lifecyclestage')
    .query(true)
    .reply(200, enumeration('lifecyclestage', stages));
  nock(API)
    .get('/crm/v3/properties/contacts/hs_lead_status')
    .query(true)
    .reply(200, enumeration('hs_lead_status', statuses));
}

describe('leadstage setup hubspot', () => {
  it('creates the group and every missing property', async () => {
    nock(API)
      .get('/crm/v3/properties/contacts/groups')
      .reply(200, {
        results: [{ name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false }],
      });
    nock(API)
      .post('/crm/v3/properties/contacts/groups', { name: 'leadstage', label: 'leadstage', displayOrder: -1 })
      .reply(201, { name: 'leadstage', label: 'leadstage', displayOrder: -1, archived: false });
    nock(API)
      .get('/crm/v3/properties/contacts')
      .query({ archived: 'false' })
      .reply(200, { results: [property('email'), property('leadstage_need')] });
    const created: unknown[] = [];
    nock(API)
      .post('/crm/v3/properties/contacts', (b) => Boolean(created.push(b)))
      .times(7)
      .reply(201, property('x'));
    vocabulary();
    const r = await setup();
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'created property group leadstage',
      'created property leadstage_score (number)',
      'created property leadstage_fit_grade (string)',
      'created property leadstage_reasons (string)',
      'created property leadstage_last_scored_at (datetime)',
      'created property leadstage_budget (string)',
      'property leadstage_need exists',
      'created property leadstage_purchase_timeframe (string)',
      'created property leadstage_decision_maker (string)',
      'lifecycle stages and lead statuses: every mapped value exists in the portal',
    ]);
    expect(created[0]).toEqual({
      name: 'leadstage_score',
      label: 'Lead score',
      description: 'leadstage: fit + engagement score',
      groupName: 'leadstage',
      type: 'number',
      fieldType: 'number',
    });
    expect(created[3]).toMatchObject({ name: 'leadstage_last_scored_at', type: 'datetime', fieldType: 'date' });
  });

  it('is safe to run twice: nothing is created when everything exists', async () => {
    nock(API)
      .get('/crm/v3/properties/contacts/groups')
      .reply(200, { results: [{ name: 'leadstage', label: 'leadstage', displayOrder: -1, archived: false }] });
    nock(API)
      .get('/crm/v3/properties/contacts')
      .query(true)
      .reply(200, {
        results: [
          'leadstage_score',
          'leadstage_fit_grade',
          'leadstage_reasons',
          'leadstage_last_scored_at',
          'leadstage_budget',
          'leadstage_need',
          'leadstage_purchase_timeframe',
          'leadstage_decision_maker',
        ].map(property),
      });
    vocabulary();
    const r = await setup();
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('created');
  });

  it('fails naming the config path when the portal lacks a stage leadstage writes (a custom MQL stage)', async () => {
    nock(API)
      .get('/crm/v3/properties/contacts/groups')
      .reply(200, { results: [{ name: 'leadstage', label: 'leadstage', displayOrder: -1, archived: false }] });
    nock(API)
      .get('/crm/v3/properties/contacts')
      .query(true)
      .reply(200, {
        results: [
          'leadstage_score',
          'leadstage_fit_grade',
          'leadstage_reasons',
          'leadstage_last_scored_at',
          'leadstage_budget',
          'leadstage_need',
          'leadstage_purchase_timeframe',
          'leadstage_decision_maker',
        ].map(property),
      });
    vocabulary(STAGES.map((s) => (s === 'marketingqualifiedlead' ? '98765432' : s)));
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /crm\.hubspot\.stageValues \(stage marketingqualifiedlead\): "marketingqualifiedlead" is not a value of lifecyclestage in this portal \(it has: subscriber, lead, 98765432/,
    );
  });

  it('needs a token, and reports HubSpot refusing', async () => {
    expect((await setup({})).code).toBe(2);
    nock(API).get('/crm/v3/properties/contacts/groups').reply(403, {
      status: 'error',
      message: "This app hasn't been granted all required scopes to make this call.",
      category: 'MISSING_SCOPES',
    });
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HubSpot refused the setup (403): This app hasn't been granted all required scopes");
  });
});
