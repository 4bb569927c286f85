import { describe, expect, it } from 'vitest';
import { checkHubSpotVocabulary, type PropertyOption } from '../../src/crm/hubspot/hubspot-vocabulary.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

// Option lists as GET /crm/v3/properties/contacts/{propertyName} returns them
// (developers.hubspot.com/docs/api/crm/properties): `options: [{ label, value, displayOrder, hidden }]`.
const TEXT = readFileSync(new URL('../../config/leadstage.yaml', import.meta.url), 'utf8');
const DEFAULT_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
const DEFAULT_STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
];

function config(edit: (doc: ReturnType<typeof parseDocument>) => void = () => undefined) {
  const doc = parseDocument(TEXT);
  edit(doc);
  const r = parseConfig(doc.toString(), 'leadstage.yaml');
  if (!r.ok) throw r.error;
  return r.config;
}
const portal =
  (props: Record<string, string[] | null>) =>
  async (name: string): Promise<PropertyOption[] | null> => {
    const values = name in props ? props[name]! : [];
    return values === null ? null : values.map((value) => ({ value, label: value }));
  };

describe('checkHubSpotVocabulary', () => {
  it("passes with HubSpot's default stages and lead statuses", async () => {
    expect(
      await checkHubSpotVocabulary(
        config(),
        portal({ lifecyclestage: DEFAULT_STAGES, hs_lead_status: DEFAULT_STATUSES }),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'a portal that renamed its MQL stage to a custom one',
      {
        lifecyclestage: DEFAULT_STAGES.filter((s) => s !== 'marketingqualifiedlead').concat('1234567'),
        hs_lead_status: DEFAULT_STATUSES,
      },
      /crm\.hubspot\.stageValues \(stage marketingqualifiedlead\): "marketingqualifiedlead" is not a value of lifecyclestage in this portal \(it has: .*1234567\)/,
    ],
    [
      'a portal without the UNQUALIFIED lead status',
      { lifecyclestage: DEFAULT_STAGES, hs_lead_status: DEFAULT_STATUSES.filter((s) => s !== 'UNQUALIFIED') },
      /crm\.hubspot\.leadStatusValues\.unqualified: "UNQUALIFIED" is not a value of hs_lead_status/,
    ],
    [
      'a portal without the lead status property',
      { lifecyclestage: DEFAULT_STAGES, hs_lead_status: null },
      /the portal has no contact property "hs_lead_status"/,
    ],
  ])("names the config path, the value and the portal's values for %s", async (_, props, message) => {
    const problems = await checkHubSpotVocabulary(config(), portal(props));
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it("accepts a leadstage stage mapped to the portal's custom stage value", async () => {
    const mapped = config((d) =>
      d.setIn(['crm', 'hubspot', 'stageValues'], d.createNode({ marketingqualifiedlead: '1234567' })),
    );
    const props = {
      lifecyclestage: DEFAULT_STAGES.filter((s) => s !== 'marketingqualifiedlead').concat('1234567'),
      hs_lead_status: DEFAULT_STATUSES,
    };
    expect(await checkHubSpotVocabulary(mapped, portal(props))).toEqual([]);
  });
});
