// The timer heap pops deadlines in order (earliest `at` first, equal deadlines in push order),
// whatever the order of pushes and pops: compared with a sorted list over random runs, with
// deadlines in random order (most go to the binary heap behind the lanes) and as the responder
// pushes them (a few fixed durations from a growing clock: the lanes, emptied and compacted).
import t from 'tap';
import { NumericTimerHeap, TimerHeap } from '../../src/wtp/timer-heap';

/** A small deterministic generator (xorshift32), so that a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

t.test('pops in (deadline, push order) order under random pushes and pops', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const heap = new TimerHeap<number>();
    const model: Array<{ at: number; n: number }> = [];
    let n = 0;
    let bad = 0;
    for (let step = 0; step < 2000; step++) {
      if (r() < 0.6 || model.length === 0) {
        // few distinct deadlines, so that ties are common
        const at = Math.floor(r() * 50);
        heap.push(at, n);
        model.push({ at, n });
        n++;
      } else {
        model.sort((a, b) => a.at - b.at || a.n - b.n);
        const want = model.shift();
        const peeked = heap.peek();
        const got = heap.pop();
        if (got !== peeked || got?.at !== want?.at || got?.item !== want?.n) bad++;
      }
      if (heap.size !== model.length) bad++;
    }
    model.sort((a, b) => a.at - b.at || a.n - b.n);
    for (const want of model) {
      const got = heap.pop();
      if (got?.at !== want.at || got?.item !== want.n) bad++;
    }
    t.equal(heap.pop(), undefined, `seed ${seed}: empty at the end`);
    t.equal(bad, 0, `seed ${seed}: every pop in order`);
  }
});

t.test('in order under fixed durations from a growing clock, with stale entries left behind', async (t) => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = rng(seed);
    const heap = new TimerHeap<number>();
    const model: Array<{ at: number; n: number }> = [];
    const durations = [1000, 2000, 200, 30000];
    let now = 0;
    let n = 0;
    let bad = 0;
    for (let step = 0; step < 20000; step++) {
      now += Math.floor(r() * 3);
      if (r() < 0.55) {
        const at = now + (durations[Math.floor(r() * durations.length)] as number);
        heap.push(at, n);
        model.push({ at, n });
        n++;
      } else if (model.length > 0) {
        model.sort((a, b) => a.at - b.at || a.n - b.n);
        const want = model.shift();
        const got = heap.pop();
        if (got?.at !== want?.at || got?.item !== want?.n) bad++;
      }
      if (heap.size !== model.length) bad++;
    }
    model.sort((a, b) => a.at - b.at || a.n - b.n);
    for (const want of model) {
      const got = heap.pop();
      if (got?.at !== want.at || got?.item !== want.n) bad++;
    }
    t.equal(heap.size, 0, `seed ${seed}: empty at the end`);
    t.equal(bad, 0, `seed ${seed}: every pop in order`);
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
    const r = rng(seed);
    const clockDriven = seed % 2 === 0;
    const heap = numericAsEntries();
    const model: Array<{ at: number; n: number }> = [];
    const durations = [1000, 2000, 200, 30000];
    let now = 0;
    let n = 0;
    let bad = 0;
    for (let step = 0; step < 20000; step++) {
      now += Math.floor(r() * 3);
      if (r() < 0.55 || model.length === 0) {
        // random deadlines with many ties (most go to the heap), or the responder's pattern (the lanes, growing past their first size)
        const at = clockDriven ? now + (durations[Math.floor(r() * durations.length)] as number) : Math.floor(r() * 50);
        heap.push(at, n);
        model.push({ at, n });
        n++;
      } else {
        model.sort((a, b) => a.at - b.at || a.n - b.n);
        const want = model.shift();
        const got = heap.pop();
        if (got?.at !== want?.at || got?.item !== want?.n) bad++;
      }
      if (heap.size !== model.length) bad++;
    }
    model.sort((a, b) => a.at - b.at || a.n - b.n);
    for (const want of model) {
      const got = heap.pop();
      if (got?.at !== want.at || got?.item !== want.n) bad++;
    }
    t.equal(heap.pop(), undefined, `seed ${seed}: empty at the end`);
    t.equal(bad, 0, `seed ${seed}: every pop in order`);
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
