import t from 'tap';
import { LRUCache } from 'lru-cache';
import { countBound } from '../../src/core/bounded';

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
