/**
 * The Clock port: every use case that needs the time asks one of these, so tests drive time
 * instead of sleeping. (The core takes `now` as an argument and has no clock at all.)
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
