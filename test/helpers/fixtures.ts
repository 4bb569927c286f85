import { loadConfigFile } from '../../src/config/load-config.ts';
import { configSchema, type LeadstageConfig } from '../../src/config/schema.ts';
import type { Activity, ContactSnapshot } from '../../src/core/types.ts';

/** The fixed clock of the unit tests: Monday 2026-11-23, 10:00 in New York (15:00 UTC). */
export const NOW = new Date('2026-11-23T15:00:00Z');
export const NOW_MS = NOW.getTime();
export const DAY = 86_400_000;

/** The shipped config/leadstage.yaml, validated. */
export function defaultConfig(): LeadstageConfig {
  const r = loadConfigFile(new URL('../../config/leadstage.yaml', import.meta.url).pathname);
  if (!r.ok) throw r.error;
  return r.config;
}

/** A small config for focused tests: the given sections over neutral defaults. */
export function makeConfig(overrides: Record<string, unknown> = {}): LeadstageConfig {
  return configSchema.parse({
    version: 1,
    engagement: { halfLifeDays: 30, rules: [] },
    fit: { grades: [{ grade: 'A', minPoints: 40 }, { grade: 'B', minPoints: 20 }, { grade: 'C' }] },
    lifecycle: {
      criteria: {
        subscriber: {},
        lead: { minEngagement: 5 },
        marketingqualifiedlead: { minScore: 50, minGrade: 'B' },
        salesqualifiedlead: { minBant: 3, minGrade: 'C' },
      },
    },
    businessHours: { timezone: 'America/New_York' },
    crm: {},
    ...overrides,
  });
}

export function contact(over: Partial<ContactSnapshot> = {}): ContactSnapshot {
  return {
    crm: 'hubspot',
    objectType: 'contact',
    id: '101',
    stage: null,
    leadStatus: null,
    ownerId: null,
    fields: {},
    ...over,
  };
}

let seq = 0;
/** An activity `daysAgo` days before NOW. */
export function act(type: string, daysAgo = 0, attributes: Activity['attributes'] = {}): Activity {
  seq += 1;
  return { id: `act-${seq}`, type, at: NOW_MS - daysAgo * DAY, attributes };
}

/** A Salesforce Lead (Salesforce's field names): a strong-fit CRO, an MQL that sales is about to qualify. */
export const HELIX_CRO = {
  Id: '00Q900000000001AAA',
  FirstName: 'Marta',
  LastName: 'Rossi',
  Email: 'm@helix.io',
  Title: 'Chief Revenue Officer',
  Company: 'Helix',
  Industry: 'SaaS',
  NumberOfEmployees: 1200,
  Country: 'United States',
  Status: 'Open - Not Contacted',
  Lifecycle_Stage__c: 'MQL',
  OwnerId: '005000000000002AAA',
  IsConverted: false,
} as const;
