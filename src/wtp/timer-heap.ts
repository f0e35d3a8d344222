/**
 * Deadlines of every transaction, earliest first (ties in the order they were pushed). Entries
 * are never removed in place: a restarted or stopped timer leaves a stale entry behind, and the
 * owner's `isLive` check drops it when it reaches the top. No clock here: the single timer
 * driver in src/edge asks `nextDeadline()` and calls back with `now`.
 *
 * Most deadlines are pushed in order: each WTP timer (A, R, W, the NACK delay) has one configured
 * duration and `now` only grows, so the deadlines of one timer arrive sorted. They go into a few first-in first-out lanes (a push joins the first lane
 * whose last deadline is not later; a full set of lanes leaves it to a binary min-heap beside
 * them), and taking the earliest is comparing the lanes' heads: no sifting through a heap of
 * tens of thousands of entries per timer, as with one heap alone (each level a likely cache
 * miss, on every pop of a stale entry). The order is the same: each lane is sorted and the heap
 * is a heap, so the smallest head is the earliest entry.
 */
export interface TimerEntry<T> {
  at: number;
  seq: number;
  item: T;
}

/** Lanes kept before an out-of-order deadline goes to the heap. */
const MAX_LANES = 8;

/** A sorted queue: entries from `head` on. */
interface Lane<T> {
  q: TimerEntry<T>[];
  head: number;
}

export class TimerHeap<T> {
  private readonly lanes: Lane<T>[] = [];
  /** Entries that fit no lane, as a binary min-heap. */
  private readonly h: TimerEntry<T>[] = [];
  private seq = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(at: number, item: T): void {
    const e = { at, seq: this.seq++, item };
    this.count++;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as Lane<T>;
      const q = lane.q;
      // a later seq than every entry held, so an equal deadline still sorts after them
      if (q.length === lane.head || (q[q.length - 1] as TimerEntry<T>).at <= at) {
        q.push(e);
        return;
      }
    }
    if (lanes.length < MAX_LANES) {
      lanes.push({ q: [e], head: 0 });
      return;
    }
    this.heapPush(e);
  }

  /** Drops every entry (the owner then pushes back the live ones: compaction). */
  clear(): void {
    this.lanes.length = 0;
    this.h.length = 0;
    this.count = 0;
  }

  peek(): TimerEntry<T> | undefined {
    let best = this.h[0];
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as Lane<T>;
      const e = lane.q[lane.head];
      if (e !== undefined && (best === undefined || less(e, best))) best = e;
    }
    return best;
  }

  pop(): TimerEntry<T> | undefined {
    let best = this.h[0];
    let from = -1; // the lane it is in, -1: the heap
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as Lane<T>;
      const e = lane.q[lane.head];
      if (e !== undefined && (best === undefined || less(e, best))) {
        best = e;
        from = i;
      }
    }
    if (best === undefined) return undefined;
    this.count--;
    if (from < 0) return this.heapPop();
    const lane = lanes[from] as Lane<T>;
    lane.q[lane.head++] = undefined as unknown as TimerEntry<T>; // let the entry go
    if (lane.head === lane.q.length) {
      lane.q.length = 0;
      lane.head = 0;
    } else if (lane.head >= 1024 && lane.head * 2 >= lane.q.length) {
      lane.q.copyWithin(0, lane.head);
      lane.q.length -= lane.head;
      lane.head = 0;
    }
    return best;
  }

  private heapPush(e: TimerEntry<T>): void {
    // sift up, moving parents down into the hole and writing the new entry once at its place
    const h = this.h;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as TimerEntry<T>;
      if (!less(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  private heapPop(): TimerEntry<T> | undefined {
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
