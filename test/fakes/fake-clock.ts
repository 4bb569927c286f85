import type { Clock } from '../../src/platform/clock.ts';

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  private ms: number;
  constructor(start: string | number) {
    this.ms = typeof start === 'number' ? start : Date.parse(start);
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
