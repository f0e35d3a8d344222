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
    // sift up, moving parents down into the hole and writing the new entry once at its place
    // (no swap by destructuring: an array literal per level unless the compiler removes it)
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as TimerEntry<T>;
      if (!less(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
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
    // sift `last` down from the root, moving the smaller child up into the hole
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      let child = h[l] as TimerEntry<T>;
      if (r < n) {
        const right = h[r] as TimerEntry<T>;
        if (less(right, child)) {
          m = r;
          child = right;
        }
      }
      if (!less(child, last)) break;
      h[i] = child;
      i = m;
    }
    h[i] = last;
    return top;
  }
}

function less<T>(a: TimerEntry<T>, b: TimerEntry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
