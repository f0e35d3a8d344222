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
  return earlier(a.at, a.seq, b.at, b.seq);
}

/**
 * The same queue for numeric items (the WTP responder's timer entries: a transaction key x 4 plus
 * the timer), held in typed arrays instead of an object per entry: each lane a ring of deadlines,
 * push numbers and items, the heap behind them three parallel arrays of numbers. Same order as
 * TimerHeap (earliest deadline first, equal deadlines in push order). Under load the responder
 * starts A and R timers for every transaction and leaves each entry until its deadline, seconds
 * later: as objects, thousands were alive at any time and each survived young collections into
 * the old generation; here an entry is three numbers in arrays that are reused (bench/RESULTS.md,
 * "WSP CPU per cycle: seventh pass, the cores").
 */
export class NumericTimerHeap {
  private readonly lanes: NumberLane[] = [];
  private readonly hAt: number[] = [];
  private readonly hSeq: number[] = [];
  private readonly hItem: number[] = [];
  private seq = 0;
  private count = 0;
  /** Where the earliest entry is, as the last `peek` found it (-1: the heap, -2: nothing), valid until the next push or pop. */
  private top = -3;

  get size(): number {
    return this.count;
  }

  push(at: number, item: number): void {
    const seq = this.seq++;
    this.count++;
    this.top = -3;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as NumberLane;
      // a later seq than every entry held, so an equal deadline still sorts after them
      if (lane.size === 0 || lane.lastAt() <= at) {
        lane.push(at, seq, item);
        return;
      }
    }
    if (lanes.length < MAX_LANES) {
      const lane = new NumberLane();
      lane.push(at, seq, item);
      lanes.push(lane);
      return;
    }
    this.heapPush(at, seq, item);
  }

  clear(): void {
    this.lanes.length = 0;
    this.hAt.length = this.hSeq.length = this.hItem.length = 0;
    this.count = 0;
    this.top = -3;
  }

  /** Finds the earliest entry: its lane's index, -1 for the heap, -2 when empty. */
  private find(): number {
    if (this.top !== -3) return this.top;
    let from = this.hAt.length > 0 ? -1 : -2;
    let at = from === -1 ? (this.hAt[0] as number) : Infinity;
    let seq = from === -1 ? (this.hSeq[0] as number) : Infinity;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as NumberLane;
      if (lane.size === 0) continue;
      const a = lane.headAt();
      if (from === -2 || earlier(a, lane.headSeq(), at, seq)) {
        from = i;
        at = a;
        seq = lane.headSeq();
      }
    }
    return (this.top = from);
  }

  /** The earliest deadline, undefined when empty. */
  peekAt(): number | undefined {
    const f = this.find();
    return f === -2 ? undefined : f === -1 ? (this.hAt[0] as number) : (this.lanes[f] as NumberLane).headAt();
  }

  /** The item of the earliest entry (call after `peekAt` answered a deadline). */
  peekItem(): number {
    const f = this.find();
    return f === -2 ? NaN : f === -1 ? (this.hItem[0] as number) : (this.lanes[f] as NumberLane).headItem();
  }

  /** The push number of the earliest entry (tells two entries of one deadline and item apart). */
  peekSeq(): number {
    const f = this.find();
    return f === -2 ? NaN : f === -1 ? (this.hSeq[0] as number) : (this.lanes[f] as NumberLane).headSeq();
  }

  /** Drops the earliest entry. */
  pop(): void {
    const f = this.find();
    if (f === -2) return;
    this.count--;
    this.top = -3;
    if (f === -1) this.heapPop();
    else (this.lanes[f] as NumberLane).shift();
  }

  private heapPush(at: number, seq: number, item: number): void {
    const hAt = this.hAt;
    const hSeq = this.hSeq;
    const hItem = this.hItem;
    let i = hAt.length;
    hAt.push(at);
    hSeq.push(seq);
    hItem.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = hAt[p] as number;
      if (!earlier(at, seq, pa, hSeq[p] as number)) break;
      hAt[i] = pa;
      hSeq[i] = hSeq[p] as number;
      hItem[i] = hItem[p] as number;
      i = p;
    }
    hAt[i] = at;
    hSeq[i] = seq;
    hItem[i] = item;
  }

  private heapPop(): void {
    const hAt = this.hAt;
    const hSeq = this.hSeq;
    const hItem = this.hItem;
    const at = hAt.pop() as number;
    const seq = hSeq.pop() as number;
    const item = hItem.pop() as number;
    const n = hAt.length;
    if (n === 0) return;
    // sift the last entry down from the root, moving the smaller child up into the hole
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && earlier(hAt[r] as number, hSeq[r] as number, hAt[l] as number, hSeq[l] as number)) m = r;
      const ma = hAt[m] as number;
      if (!earlier(ma, hSeq[m] as number, at, seq)) break;
      hAt[i] = ma;
      hSeq[i] = hSeq[m] as number;
      hItem[i] = hItem[m] as number;
      i = m;
    }
    hAt[i] = at;
    hSeq[i] = seq;
    hItem[i] = item;
  }
}

/** The order of both queues: the earlier deadline first, then the earlier push (equal deadlines in push order). */
function earlier(at: number, seq: number, otherAt: number, otherSeq: number): boolean {
  return at < otherAt || (at === otherAt && seq < otherSeq);
}

/** A sorted first-in first-out ring of (deadline, push number, item), growing by doubling. */
class NumberLane {
  private at = new Float64Array(64);
  private seq = new Float64Array(64);
  private item = new Float64Array(64);
  private head = 0;
  size = 0;

  push(at: number, seq: number, item: number): void {
    if (this.size === this.at.length) this.grow();
    const i = (this.head + this.size) & (this.at.length - 1);
    this.at[i] = at;
    this.seq[i] = seq;
    this.item[i] = item;
    this.size++;
  }
  lastAt(): number {
    return this.at[(this.head + this.size - 1) & (this.at.length - 1)] as number;
  }
  headAt(): number {
    return this.at[this.head] as number;
  }
  headSeq(): number {
    return this.seq[this.head] as number;
  }
  headItem(): number {
    return this.item[this.head] as number;
  }
  shift(): void {
    this.head = (this.head + 1) & (this.at.length - 1);
    this.size--;
  }
  private grow(): void {
    const n = this.at.length;
    const at = new Float64Array(2 * n);
    const seq = new Float64Array(2 * n);
    const item = new Float64Array(2 * n);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (n - 1);
      at[k] = this.at[i] as number;
      seq[k] = this.seq[i] as number;
      item[k] = this.item[i] as number;
    }
    this.at = at;
    this.seq = seq;
    this.item = item;
    this.head = 0;
  }
}
