// The timer heap pops deadlines in order (earliest `at` first, equal deadlines in push order),
// whatever the order of pushes and pops: compared with a sorted list over random runs.
import t from 'tap';
import { TimerHeap } from '../../src/wtp/timer-heap';

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
