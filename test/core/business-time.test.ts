import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, dueTime } from '../../src/core/business-time.ts';
import { makeConfig } from '../helpers/fixtures.ts';

// Mon–Fri 09:00–17:00 New York; Thanksgiving 2026-11-26 off.
const hours = makeConfig({ businessHours: { timezone: 'America/New_York', holidays: ['2026-11-26'] } }).businessHours;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('addBusinessMinutes', () => {
  it.each([
    ['inside hours: plain addition', '2026-11-23T15:00:00Z', 5, '2026-11-23T15:05:00Z'],
    ['before opening: counts from 09:00', '2026-11-23T12:00:00Z', 5, '2026-11-23T14:05:00Z'],
    ['after closing: next morning', '2026-11-23T23:30:00Z', 5, '2026-11-24T14:05:00Z'],
    ['spills over closing into the next day', '2026-11-23T21:58:00Z', 5, '2026-11-24T14:03:00Z'],
    ['Friday evening to Monday morning', '2026-11-27T23:00:00Z', 5, '2026-11-30T14:05:00Z'],
    ['Saturday to Monday', '2026-11-28T15:00:00Z', 60, '2026-11-30T15:00:00Z'],
    ['Sunday night to Monday', '2026-11-30T03:00:00Z', 5, '2026-11-30T14:05:00Z'],
    ['skips the holiday', '2026-11-25T21:59:00Z', 5, '2026-11-27T14:04:00Z'],
    ['exactly at closing goes to the next day', '2026-11-23T22:00:00Z', 1, '2026-11-24T14:01:00Z'],
    // DST: New York moves from EDT (UTC-4) to EST (UTC-5) on 2026-11-01.
    ['across the DST change', '2026-10-30T20:00:00Z', 120, '2026-11-02T15:00:00Z'],
  ])('%s', (_, start, minutes, expected) => {
    expect(iso(addBusinessMinutes(at(start), minutes, hours))).toBe(expected);
  });
});

describe('dueTime', () => {
  it.each([
    [
      '1 business day from Friday 16:00 is Monday 16:00',
      '2026-11-27T21:00:00Z',
      { businessDays: 1, calendar: false },
      '2026-11-30T21:00:00Z',
    ],
    [
      '1 business day from Saturday is Monday 17:00',
      '2026-11-28T15:00:00Z',
      { businessDays: 1, calendar: false },
      '2026-11-30T22:00:00Z',
    ],
    [
      '4 business hours late on Wednesday before the holiday',
      '2026-11-25T21:00:00Z',
      { hours: 4, calendar: false },
      '2026-11-27T17:00:00Z',
    ],
    ['calendar time ignores hours', '2026-11-28T15:00:00Z', { minutes: 5, calendar: true }, '2026-11-28T15:05:00Z'],
  ])('%s', (_, start, due, expected) => {
    expect(iso(dueTime(at(start), due, hours))).toBe(expected);
  });

  it('works in a zone east of UTC with a weekend on Friday–Saturday', () => {
    const dubai = makeConfig({
      businessHours: {
        timezone: 'Asia/Dubai',
        days: ['sun', 'mon', 'tue', 'wed', 'thu'],
        start: '08:00',
        end: '16:00',
      },
    }).businessHours;
    // Friday 10:00 Dubai (06:00 UTC) → Sunday 08:05 Dubai (04:05 UTC).
    expect(iso(dueTime(at('2026-11-27T06:00:00Z'), { minutes: 5, calendar: false }, dubai))).toBe(
      '2026-11-29T04:05:00Z',
    );
  });
});
