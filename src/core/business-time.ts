import { DateTime } from 'luxon';
import type { BusinessHours, Duration } from './model.ts';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
// Holidays can only cover finitely many days, so a working day is always within reach; this
// bound only turns a bug into an exception instead of an endless loop.
const MAX_DAYS_SCANNED = 3_700;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Length of one business day in minutes. */
export function businessDayMinutes(hours: BusinessHours): number {
  return minutesOf(hours.end) - minutesOf(hours.start);
}

/**
 * `startMs` plus `minutes` of business time: only minutes inside the working window of a working,
 * non-holiday day count, in the configured zone (so DST shifts are the zone's, not the server's).
 * A lead that arrives on Saturday night with a 5-minute SLA is due 5 minutes after Monday opens.
 */
export function addBusinessMinutes(startMs: number, minutes: number, hours: BusinessHours): number {
  const open = minutesOf(hours.start);
  const close = minutesOf(hours.end);
  const holidays = new Set(hours.holidays);
  let remainingMs = minutes * 60_000;
  let cursor = startMs;
  let day = DateTime.fromMillis(startMs, { zone: hours.timezone }).startOf('day');

  for (let i = 0; i < MAX_DAYS_SCANNED; i++, day = day.plus({ days: 1 }).startOf('day')) {
    const weekday = WEEKDAYS[day.weekday - 1]!;
    if (!hours.days.includes(weekday) || holidays.has(day.toISODate()!)) continue;
    const windowStart = day.set({ hour: Math.floor(open / 60), minute: open % 60 }).toMillis();
    const windowEnd = day.set({ hour: Math.floor(close / 60), minute: close % 60 }).toMillis();
    const from = Math.max(cursor, windowStart);
    if (from >= windowEnd) continue;
    const available = windowEnd - from;
    if (remainingMs <= available) return from + remainingMs;
    remainingMs -= available;
    cursor = windowEnd;
  }
  throw new Error(
    `addBusinessMinutes: no working time within ${MAX_DAYS_SCANNED} days (config validation should prevent this)`,
  );
}

/** When a task with this SLA is due, as epoch ms. */
export function dueTime(startMs: number, due: Duration, hours: BusinessHours): number {
  const minutes = (due.minutes ?? 0) + (due.hours ?? 0) * 60 + (due.businessDays ?? 0) * businessDayMinutes(hours);
  if (due.calendar) return startMs + minutes * 60_000;
  return addBusinessMinutes(startMs, minutes, hours);
}
