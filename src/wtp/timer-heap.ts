/**
 * Deadlines of every transaction in one binary min-heap (quinn-style timer table). Entries are
 * never removed in place: a restarted or stopped timer leaves a stale entry behind, and the
 * owner's `isLive` check drops it when it reaches the top. No clock here: the single timer
 * driver in src/edge asks `nextDeadline()` and calls back with `now`.
 */
export interface TimerEntry<T> {
  at: number;
  seq: number;
  item: T;
}

export class TimerHeap<T> {
  private readonly h: TimerEntry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.h.length;
  }

  push(at: number, item: T): void {
    const e = { at, seq: this.seq++, item };
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i] as TimerEntry<T>, h[p] as TimerEntry<T>)) break;
      [h[i], h[p]] = [h[p] as TimerEntry<T>, h[i] as TimerEntry<T>];
      i = p;
    }
  }

  /** Drops every entry (the owner then pushes back the live ones: compaction). */
  clear(): void {
    this.h.length = 0;
  }

  peek(): TimerEntry<T> | undefined {
    return this.h[0];
  }

  pop(): TimerEntry<T> | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l] as TimerEntry<T>, h[m] as TimerEntry<T>)) m = l;
      if (r < h.length && less(h[r] as TimerEntry<T>, h[m] as TimerEntry<T>)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as TimerEntry<T>, h[i] as TimerEntry<T>];
      i = m;
    }
    return top;
  }
}

function less<T>(a: TimerEntry<T>, b: TimerEntry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
