/**
 * Per-source token bucket (transport-neutral; one per bearer, held by `Policy`, admit.ts). Each source (an IPv4
 * address, or an IPv6 /64: `sourceKey`, so a phone cannot refill its bucket by changing address
 * inside its prefix) has a bucket of `burst` tokens refilled at `perSecond`; a request takes one token. Buckets
 * live in an lru-cache bounded by `rateLimit.maxSources`, so a flood of spoofed or rotating
 * sources costs bounded memory (an evicted source simply starts again with a full bucket).
 * Time is an argument (`now`, monotonic ms).
 */
import { LRUCache } from 'lru-cache';
import { countBound } from '../core/bounded';
import { sourceKey } from '../core/net';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly buckets: LRUCache<string, Bucket> | null;

  constructor(opts: { perSecond: number; burst: number; maxSources: number }) {
    this.perMs = opts.perSecond / 1000;
    this.burst = opts.burst;
    this.buckets = opts.perSecond > 0 ? new LRUCache<string, Bucket>({ ...countBound(opts.maxSources) }) : null;
  }

  get enabled(): boolean {
    return this.buckets !== null;
  }

  /** Takes one token for `source`; false when its bucket is empty. */
  take(source: string, now: number): boolean {
    if (this.buckets === null) return true;
    const key = sourceKey(source);
    const b = this.buckets.get(key);
    if (b === undefined) {
      this.buckets.set(key, { tokens: this.burst - 1, at: now });
      return true;
    }
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets?.size ?? 0;
  }
}
