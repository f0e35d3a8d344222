// The timer heap pops deadlines in order (earliest `at` first, equal deadlines in push order),
// whatever the order of pushes and pops: compared with a sorted list over random runs, with
// deadlines in random order (most go to the binary heap behind the lanes) and as the responder
// pushes them (a few fixed durations from a growing clock: the lanes, emptied and compacted).
import t from 'tap';
import { NumericTimerHeap, TimerHeap } from '../../src/wtp/timer-heap';
import { seeded } from '../helpers/rng';

interface Queue {
  push(at: number, item: number): void;
  pop(): { at: number; item: number } | undefined;
  readonly size: number;
}

/**
 * `steps` random pushes (chance `pushChance`, deadlines from `deadline(now)`, the clock growing by
 * 0-2 a step) and pops on `heap` beside a sorted list, then the rest popped: how many pops and
 * sizes disagreed with the list. `peek`, when given, must show what the next pop takes.
 */
function disagreements(heap: Queue, r: () => number, steps: number, pushChance: number, deadline: (now: number) => number, peek?: () => unknown): number {
  const model: Array<{ at: number; n: number }> = [];
  const byDeadline = (a: { at: number; n: number }, b: { at: number; n: number }) => a.at - b.at || a.n - b.n;
  let now = 0;
  let n = 0;
  let bad = 0;
  for (let step = 0; step < steps; step++) {
    now += Math.floor(r() * 3);
    if (r() < pushChance || model.length === 0) {
      const at = deadline(now);
      heap.push(at, n);
      model.push({ at, n });
      n++;
    } else {
      model.sort(byDeadline);
      const want = model.shift();
      const peeked = peek?.();
      const got = heap.pop();
      if ((peek !== undefined && got !== peeked) || got?.at !== want?.at || got?.item !== want?.n) bad++;
    }
    if (heap.size !== model.length) bad++;
  }
  model.sort(byDeadline);
  for (const want of model) {
    const got = heap.pop();
    if (got?.at !== want.at || got?.item !== want.n) bad++;
  }
  return bad;
}

/** Few distinct deadlines, so that ties are common (most go to the binary heap behind the lanes). */
const tied = (r: () => number) => () => Math.floor(r() * 50);
/** The responder's pattern: a few fixed durations from a growing clock (the lanes, emptied and compacted, growing past their first size). */
const durations = (r: () => number) => (now: number) => now + ([1000, 2000, 200, 30000][Math.floor(r() * 4)] as number);

t.test('pops in (deadline, push order) order under random pushes and pops', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = seeded(seed);
    const heap = new TimerHeap<number>();
    t.equal(disagreements(heap, r, 2000, 0.6, tied(r), () => heap.peek()), 0, `seed ${seed}: every pop in order`);
    t.equal(heap.pop(), undefined, `seed ${seed}: empty at the end`);
  }
});

t.test('in order under fixed durations from a growing clock, with stale entries left behind', async (t) => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = seeded(seed);
    const heap = new TimerHeap<number>();
    t.equal(disagreements(heap, r, 20000, 0.55, durations(r)), 0, `seed ${seed}: every pop in order`);
    t.equal(heap.size, 0, `seed ${seed}: empty at the end`);
  }
});

t.test('clear empties it', async (t) => {
  const heap = new TimerHeap<string>();
  heap.push(5, 'a');
  heap.push(1, 'b');
  heap.clear();
  t.equal(heap.size, 0);
  t.equal(heap.peek(), undefined);
  heap.push(3, 'c');
  t.equal(heap.pop()?.item, 'c');
});

/** NumericTimerHeap (the responder's: numbers in typed arrays) seen through TimerHeap's pop, for the same model checks. */
function numericAsEntries(): { push(at: number, item: number): void; pop(): { at: number; item: number } | undefined; readonly size: number; peekSeq(): number } {
  const h = new NumericTimerHeap();
  return {
    push: (at, item) => h.push(at, item),
    pop: () => {
      const at = h.peekAt();
      if (at === undefined) return undefined;
      const item = h.peekItem();
      h.pop();
      return { at, item };
    },
    get size() {
      return h.size;
    },
    peekSeq: () => h.peekSeq(),
  };
}

t.test('NumericTimerHeap: the same order as a sorted model, random and clock-driven', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = seeded(seed);
    const heap = numericAsEntries();
    t.equal(disagreements(heap, r, 20000, 0.55, seed % 2 === 0 ? durations(r) : tied(r)), 0, `seed ${seed}: every pop in order`);
    t.equal(heap.pop(), undefined, `seed ${seed}: empty at the end`);
  }
});

t.test('NumericTimerHeap: push numbers tell entries of one deadline and item apart; clear empties it', async (t) => {
  const h = new NumericTimerHeap();
  h.push(10, 7);
  const first = h.peekSeq();
  h.push(10, 7);
  t.equal(h.peekSeq(), first, 'the earlier push is on top');
  h.pop();
  t.not(h.peekSeq(), first, 'the second entry has its own number');
  t.equal(h.peekAt(), 10);
  h.clear();
  t.equal(h.size, 0);
  t.equal(h.peekAt(), undefined);
  h.push(3, 1);
  t.equal(h.peekItem(), 1);
});
