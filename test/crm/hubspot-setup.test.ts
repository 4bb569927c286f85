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
    stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, readFile: () => '',
  });
  return { code, stdout, stderr };
}

const property = (name: string) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'leadstage', options: [], description: '' });

describe('leadstage setup hubspot', () => {
  it('creates the group and every missing property', async () => {
    nock(API).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false }] });
    nock(API).post('/crm/v3/properties/contacts/groups', { name: 'leadstage', label: 'leadstage', displayOrder: -1 }).reply(201, { name: 'leadstage', label: 'leadstage', displayOrder: -1, archived: false });
    nock(API).get('/crm/v3/properties/contacts').query({ archived: 'false' }).reply(200, { results: [property('email'), property('leadstage_need')] });
    const created: unknown[] = [];
    nock(API).post('/crm/v3/properties/contacts', (b) => Boolean(created.push(b))).times(7).reply(201, property('x'));
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
    ]);
    expect(created[0]).toEqual({ name: 'leadstage_score', label: 'Lead score', description: 'leadstage: fit + engagement score', groupName: 'leadstage', type: 'number', fieldType: 'number' });
    expect(created[3]).toMatchObject({ name: 'leadstage_last_scored_at', type: 'datetime', fieldType: 'date' });
  });

  it('is safe to run twice: nothing is created when everything exists', async () => {
    nock(API).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'leadstage', label: 'leadstage', displayOrder: -1, archived: false }] });
    nock(API).get('/crm/v3/properties/contacts').query(true).reply(200, {
      results: ['leadstage_score', 'leadstage_fit_grade', 'leadstage_reasons', 'leadstage_last_scored_at', 'leadstage_budget', 'leadstage_need', 'leadstage_purchase_timeframe', 'leadstage_decision_maker'].map(property),
    });
    const r = await setup();
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('created');
  });

  it('needs a token, and reports HubSpot refusing', async () => {
    expect((await setup({})).code).toBe(2);
    nock(API).get('/crm/v3/properties/contacts/groups').reply(403, { status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', category: 'MISSING_SCOPES' });
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HubSpot refused the setup (403): This app hasn't been granted all required scopes");
  });
});
