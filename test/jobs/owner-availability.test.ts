import { describe, expect, it } from 'vitest';
import { awayOwnerIds } from '../../jobs/owner-availability.ts';
import { defaultConfig } from '../helpers/fixtures.ts';

// The shipped config's zone is America/New_York: 2026-11-24T03:00Z is still the 23rd there.
describe('awayOwnerIds', () => {
  const config = defaultConfig();
  config.assignment.owners.find((o) => o.key === 'rep-1')!.away = [{ from: '2026-11-20', until: '2026-11-23' }];
  const at = (iso: string) => Date.parse(iso);
  it.each([
    ['on an away day', '2026-11-23T15:00:00Z', new Map(), 'hubspot', ['1001']],
    ['late on the last day, in the business-hours zone', '2026-11-24T03:00:00Z', new Map(), 'hubspot', ['1001']],
    ['the day after', '2026-11-24T06:00:00Z', new Map(), 'hubspot', []],
    ['the day before', '2026-11-19T12:00:00Z', new Map(), 'hubspot', []],
    [
      'marked away until later',
      '2026-11-25T12:00:00Z',
      new Map([['rep-3', at('2026-11-25T13:00:00Z')]]),
      'hubspot',
      ['1003'],
    ],
    ['a mark that has passed', '2026-11-25T12:00:00Z', new Map([['rep-3', at('2026-11-25T11:00:00Z')]]), 'hubspot', []],
    [
      'in the CRM asked about',
      '2026-11-23T15:00:00Z',
      new Map([['rep-2', at('2026-12-01T00:00:00Z')]]),
      'salesforce',
      ['005000000000001AAA', '005000000000002AAA'],
    ],
  ] as const)('%s', (_, now, marked, crm, expected) => {
    expect(awayOwnerIds(config, crm, at(now), marked)).toEqual(expected);
  });
});
