/**
 * The single timer driver (the only setTimeout on the UDP side; the machines take time as an argument): protocol
 * machines keep deadlines and expose nextDeadline(); this driver arms exactly one setTimeout
 * for the earliest deadline of all sources and, when it fires, calls each source's tick(now)
 * for those that are due, then re-arms. Callers call `rearm()` after feeding any event.
 */
import type { Clock } from '../core/clock';

export interface TimerSource {
  /** Earliest deadline (clock ms) or undefined when nothing is pending. */
  nextDeadline(): number | undefined;
  /** Handle everything due at `now`. */
  tick(now: number): void;
}

export class TimerDriver {
  private readonly sources: TimerSource[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private stopped = false;
  private readonly clock: Clock;
  private readonly onError: (err: unknown) => void;

  constructor(clock: Clock, onError: (err: unknown) => void = () => {}) {
    this.clock = clock;
    this.onError = onError;
  }

  add(source: TimerSource): void {
    this.sources.push(source);
  }

  /** Re-computes the earliest deadline and (re)arms the one timer if it moved earlier or went away. */
  rearm(): void {
    if (this.stopped) return;
    let next: number | undefined;
    // an indexed loop: this runs after every datagram
    const sources = this.sources;
    for (let i = 0; i < sources.length; i++) {
      const d = (sources[i] as TimerSource).nextDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    // an armed timer that fires no later than needed stays: firing early costs one empty
    // pass, while clearing and re-arming on every datagram costs more
    if (this.timer && this.armedFor !== undefined && (next === undefined || next >= this.armedFor)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    const delay = Math.max(0, Math.ceil(next - this.clock.now()));
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const now = this.clock.now();
    for (const s of this.sources) {
      const d = s.nextDeadline();
      if (d !== undefined && d <= now) {
        try {
          s.tick(now);
        } catch (err) {
          this.onError(err);
        }
      }
    }
    this.rearm();
  }

  get armed(): number | undefined {
    return this.armedFor;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }
}
