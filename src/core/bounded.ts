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
