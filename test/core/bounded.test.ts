import t from 'tap';
import { LRUCache } from 'lru-cache';
import { countBound, BoundedMap, LruMap } from '../../src/core/bounded';
import { Rng } from '../helpers/rng';

t.test('countBound evicts the least recently used at exactly N entries', async (t) => {
  const evicted: number[] = [];
  const c = new LRUCache<number, string>({ ...countBound(3), dispose: (_v, k, r) => r === 'evict' && evicted.push(k) });
  for (let i = 1; i <= 3; i++) c.set(i, `v${i}`);
  c.get(1); // 1 is now the most recently used
  c.set(4, 'v4');
  t.equal(c.size, 3);
  t.same(evicted, [2], 'the least recently used went');
  t.ok(c.has(1) && c.has(3) && c.has(4));
});

t.test('a huge bound allocates nothing up front', async (t) => {
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const caches = Array.from({ length: 5 }, () => new LRUCache<string, number>({ ...countBound(1_000_000), ttl: 1000 }));
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  t.equal(caches.length, 5);
  t.ok(after - before < 5 * 1024 * 1024, `5 caches of 1 M entries cost ${((after - before) / 1048576).toFixed(1)} MB (preallocation would be > 40 MB each)`);
});

t.test('BoundedMap: the oldest write is pushed out first; a write (not a read) makes a key the newest', async (t) => {
  const drops: Array<[string, number, string]> = [];
  const m = new BoundedMap<string, number>({ max: 3, now: () => 0, onDrop: (k, v, why) => drops.push([k, v, why]) });
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  t.equal(m.get('a'), 1, 'a read does not reorder');
  m.set('b', 20); // b is now the newest
  m.set('d', 4);
  t.same(drops, [['a', 1, 'evict']]);
  m.set('e', 5);
  t.same(drops[1], ['c', 3, 'evict'], 'then c: b was written after it');
  t.same([...m.entries()], [['b', 20], ['d', 4], ['e', 5]]);
  t.equal(m.size, 3);
  t.ok(m.delete('d'));
  t.equal(drops.length, 2, 'delete and overwrite are not reported');
});

t.test('BoundedMap: expiry after the last write, per entry or kept; expired entries vanish and are reported once', async (t) => {
  let now = 1000;
  const drops: Array<[string, string]> = [];
  const m = new BoundedMap<string, number>({ max: 10, ttlMs: 100, now: () => now, onDrop: (k, _v, why) => drops.push([k, why]) });
  m.set('a', 1);
  m.set('short', 2, 10);
  m.set('forever', 3, Infinity);
  now = 1010;
  t.equal(m.peek('short'), 2, 'live through its expiry instant');
  now = 1011;
  t.equal(m.peek('short'), undefined, 'gone after it');
  t.equal(m.get('short'), undefined);
  t.same(drops, [['short', 'expire']], 'get drops and reports it; peek does not');
  now = 1050;
  m.set('a', 10, undefined, true); // keeps its expiry (1100)
  now = 1101;
  t.equal(m.has('a'), false);
  m.set('b', 5); // expires 1201
  m.purgeStale();
  t.same(drops, [['short', 'expire'], ['a', 'expire']]);
  t.equal(m.size, 2);
  now = 1_000_000;
  t.equal(m.get('forever'), 3, 'no expiry');
  t.same([...m.entries()].map(([k]) => k), ['forever']);
});

t.test('BoundedMap against a plain model: random writes, deletes and evictions keep the same entries in the same write order', async (t) => {
  const rng = new Rng(20261207);
  const max = 16;
  const evicted: string[] = [];
  const m = new BoundedMap<string, number>({ max, now: () => 0, onDrop: (k, _v, why) => why === 'evict' && evicted.push(k) });
  let model: Array<[string, number]> = []; // oldest write first
  const modelEvicted: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const key = `k${Math.floor(rng.next() * 40)}`;
    if (rng.next() < 0.2) {
      m.delete(key);
      model = model.filter(([k]) => k !== key);
      continue;
    }
    m.set(key, i);
    const had = model.some(([k]) => k === key);
    model = model.filter(([k]) => k !== key);
    model.push([key, i]);
    if (!had && model.length > max) modelEvicted.push((model.shift() as [string, number])[0]);
  }
  t.same([...m.entries()], model);
  t.equal(m.size, model.length);
  t.same(evicted, modelEvicted, 'the same entries pushed out, in the same order');
  t.ok(evicted.length > 1000, `evictions exercised (${evicted.length})`);
});

t.test('LruMap: reads make an entry the most recent; a new key past max pushes out the least recent', async (t) => {
  const evicted: Array<[number, string]> = [];
  const m = new LruMap<number, string>(3, (k, v) => evicted.push([k, v]));
  for (let i = 1; i <= 3; i++) m.set(i, `v${i}`);
  t.same([...m.oldestFirst()], ['v1', 'v2', 'v3']);
  t.equal(m.get(1), 'v1');
  t.same([...m.oldestFirst()], ['v2', 'v3', 'v1'], 'get moves to the recent end');
  t.equal(m.peek(2), 'v2');
  t.equal(m.oldest(), 'v2', 'peek does not');
  m.set(3, 'v3b');
  t.same([...m.oldestFirst()], ['v2', 'v1', 'v3b'], 'an overwrite is a use');
  m.set(4, 'v4');
  t.same(evicted, [[2, 'v2']]);
  t.equal(m.size, 3);
  t.notOk(m.has(2));
  t.ok(m.delete(1));
  t.notOk(m.delete(1));
  t.same([...m.oldestFirst()], ['v3b', 'v4']);
  m.delete(4);
  m.delete(3);
  t.equal(m.size, 0);
  t.equal(m.oldest(), undefined);
  m.set(5, 'v5');
  t.same([...m.oldestFirst()], ['v5'], 'usable again once emptied');
});

t.test('LruMap agrees with lru-cache under random use', async (t) => {
  const rng = new Rng(11);
  const ours: number[] = [];
  const theirs: number[] = [];
  const a = new LruMap<number, number>(50, (k) => ours.push(k));
  const b = new LRUCache<number, number>({ max: 50, dispose: (_v, k, r) => r === 'evict' && theirs.push(k) });
  let differ = 0;
  for (let i = 0; i < 20000; i++) {
    const k = Math.floor(rng.next() * 121);
    const op = Math.floor(rng.next() * 10);
    if (op < 4) differ += a.get(k) === b.get(k) ? 0 : 1;
    else if (op < 8) {
      a.set(k, i);
      b.set(k, i);
    } else {
      a.delete(k);
      b.delete(k);
    }
  }
  t.equal(differ, 0, 'the same answers to every read');
  t.ok(ours.length > 100, 'evictions happened');
  t.same(ours, theirs, 'the same evictions in the same order');
  t.same([...a.oldestFirst()], [...b.rvalues()], 'the same recency order');
});
