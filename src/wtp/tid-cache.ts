/**
 * TID validation (WAP-224 §9.5 "Transaction identifier verification"; window as in Kannel
 * `wtp_tid.c`, half of the 15-bit TID space).
 *
 * The responder remembers the last TID accepted from each initiator (address:port). A new TID is
 * accepted without a round trip when it lies ahead of the cached one inside the window (with
 * wrap). Otherwise, or when the Invoke carries TIDnew, or when the initiator has no cache entry,
 * the responder asks the initiator with Ack(TIDve) and holds the Invoke until Ack(TIDok).
 *
 * Uncached initiators: Kannel accepts their first Invoke unverified. We verify it: after a
 * restart or once the entry has been evicted, a late retransmitted Invoke would otherwise run a
 * second time (a second MMS POST), and a verified peer is also what lets us send more than we
 * received (anti-amplification). The cost is one round trip per initiator per tidCacheTtlMs.
 *
 * `tidTest` is pure; `TidCache` is the bounded table (BoundedMap, max + expiry) around it.
 */
import { BoundedMap } from '../core/bounded';

export const TID_SPACE = 0x8000;
export const TID_WINDOW = 0x4000;

export interface TidEntry {
  tid: number;
  /** The initiator answered an Ack(TIDve) for this address: it is real, not spoofed. */
  verified: boolean;
}

export type TidVerdict = 'ok' | 'verify';

/** Is `tid` ahead of `last` inside the window (mod 2^15)? Equal is not. */
export function inWindow(tid: number, last: number): boolean {
  const d = (tid - last + TID_SPACE) % TID_SPACE;
  return d >= 1 && d <= TID_WINDOW;
}

export function tidTest(entry: TidEntry | undefined, tid: number, tidNew: boolean, verification: boolean): TidVerdict {
  if (!verification) return 'ok';
  if (tidNew || entry === undefined) return 'verify';
  return inWindow(tid, entry.tid) ? 'ok' : 'verify';
}

export class TidCache {
  private readonly lru: BoundedMap<string, TidEntry>;
  constructor(opts: { max: number; ttlMs: number; now: () => number }) {
    this.lru = new BoundedMap<string, TidEntry>({ max: opts.max, ttlMs: opts.ttlMs, now: opts.now });
  }
  get(peer: string): TidEntry | undefined {
    return this.lru.get(peer);
  }
  set(peer: string, tid: number, verified: boolean): void {
    this.lru.set(peer, { tid, verified });
  }
  /**
   * `tid` accepted from `peer`, its verified flag kept: `entry` is what `get` answered for it just
   * before (undefined: none), updated in place (one object per peer, not one per Invoke).
   */
  accept(peer: string, entry: TidEntry | undefined, tid: number): void {
    if (entry === undefined) {
      this.lru.set(peer, { tid, verified: false });
      return;
    }
    entry.tid = tid;
    this.lru.set(peer, entry);
  }
  isVerified(peer: string): boolean {
    return this.lru.get(peer)?.verified === true;
  }
  purgeStale(): void {
    this.lru.purgeStale();
  }
  get size(): number {
    return this.lru.size;
  }
}
