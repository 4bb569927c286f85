/**
 * The Clock port: every use case that needs the time asks one of these, so tests drive time
 * instead of sleeping. (The core takes `now` as an argument and has no clock at all.)
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The system clock moved forward by hand: the demo plays days of decay and SLA steps in seconds, and
 * end-to-end tests reach a due date without sleeping. Only time-driven work reads it.
 */
export class ShiftedClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Move forward (never back: a schedule in Redis must not see time run backwards). */
  advance(ms: number): void {
    if (ms > 0) this.offsetMs += ms;
  }
  /** Jump to `at` (epoch ms) if it is later than now. */
  advanceTo(at: number): void {
    this.advance(at - this.now().getTime());
  }
}
