/**
 * Time is an argument (docs/architecture.md, rule 4). Protocol code never reads the wall clock: it is
 * handed `now` (milliseconds, monotonic) or a Clock. Only src/edge owns real timers.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
