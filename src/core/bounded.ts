/**
 * Entry-count bounds for lru-cache without preallocation. With `max: N`, lru-cache 11 allocates
 * its key, value, link and TTL arrays for N slots in the constructor: with our default table
 * sizes that was about 33 MB of an idle gateway (bench/lib/findings.md). `maxSize: N` with every
 * entry of size 1 evicts the least recently used entry at exactly the same count, but grows its
 * arrays only as entries arrive.
 */
export function countBound(n: number): { maxSize: number; sizeCalculation: () => number } {
  return { maxSize: n, sizeCalculation: one };
}

const one = (): number => 1;

/**
 * Answers worth remembering for a value that recurs (a phone's address, an initiator's
 * Content-Type): at most `max` entries, all forgotten at once when full. Cheaper than an LRU
 * on a hot path (no recency to keep), and right where the recurring values are few.
 */
export class Memo<K, V> {
  private readonly m = new Map<K, V>();
  constructor(readonly max: number) {}
  get size(): number {
    return this.m.size;
  }
  get(k: K): V | undefined {
    return this.m.get(k);
  }
  set(k: K, v: V): V {
    if (this.m.size >= this.max) this.m.clear();
    this.m.set(k, v);
    return v;
  }
}
