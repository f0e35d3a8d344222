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

/** Why an entry left a BoundedMap on its own: pushed out by a newer one, or past its expiry. */
export type DropReason = 'evict' | 'expire';

interface Slot<K, V> {
  key: K;
  value: V;
  /** Absolute expiry on the owner's clock (Infinity: none). */
  expires: number;
  /** Toward the entry written longest ago. */
  older: Slot<K, V> | undefined;
  /** Toward the entry written last. */
  newer: Slot<K, V> | undefined;
}

export interface BoundedMapOptions<K, V> {
  /** Most entries held; a new key past it pushes out the entry written longest ago. */
  max: number;
  /** Expiry of an entry after its last write (ms; omitted: entries do not expire). */
  ttlMs?: number;
  /** The owner's clock (the same `now` its callers pass). */
  now: () => number;
  /** Told of an entry pushed out or found expired (not of delete or overwrite). */
  onDrop?: (key: K, value: V, why: DropReason) => void;
}

/**
 * A bounded table for per-peer and per-transaction state on a hot path: a Map, at most `max`
 * entries with the one written longest ago pushed out first, and an optional expiry per entry
 * (an entry is live through its expiry instant, gone after it), checked when the entry is read
 * and by purgeStale(). A read does not reorder: for tables whose entries are written on every
 * state change (WTP transactions, TID cache entries) the write order is the recency order that
 * matters, at a fraction of an LRU's cost per read. No timer: expiry is lazy, on the owner's
 * clock.
 *
 * The write order is a doubly linked list through the entries themselves, the one written
 * longest ago at its head: a write moves its entry to the tail by relinking, a delete unlinks it,
 * so the head is always the next to push out. (Deleting and re-inserting in the Map instead would
 * make finding the oldest entry cost a walk over the deleted slots at the front of V8's hash
 * table: tens of microseconds per eviction in a full 100 000-entry table. A queue of (key, write
 * number) beside the Map, which this replaced, cost two array appends per write and a periodic
 * compaction pass with a Map lookup per entry: bench/RESULTS.md, "WSP CPU per cycle: seventh
 * pass, the cores".)
 */
export class BoundedMap<K, V> {
  private readonly m = new Map<K, Slot<K, V>>();
  private readonly max: number;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly onDrop: ((key: K, value: V, why: DropReason) => void) | undefined;
  /** The entry written longest ago, and the one written last. */
  private head: Slot<K, V> | undefined;
  private tail: Slot<K, V> | undefined;

  constructor(o: BoundedMapOptions<K, V>) {
    this.max = Math.max(1, o.max);
    this.ttl = o.ttlMs ?? Infinity;
    this.now = o.now;
    this.onDrop = o.onDrop;
  }

  get size(): number {
    return this.m.size;
  }

  /** The value, or undefined when absent or expired (an expired entry is dropped and reported). */
  get(key: K): V | undefined {
    const s = this.m.get(key);
    if (s === undefined) return undefined;
    if (s.expires !== Infinity && s.expires < this.now()) {
      this.m.delete(key);
      this.unlink(s);
      this.onDrop?.(key, s.value, 'expire');
      return undefined;
    }
    return s.value;
  }

  /** The value without dropping an expired entry (undefined for it all the same). */
  peek(key: K): V | undefined {
    const s = this.m.get(key);
    if (s === undefined || (s.expires !== Infinity && s.expires < this.now())) return undefined;
    return s.value;
  }

  has(key: K): boolean {
    return this.peek(key) !== undefined;
  }

  /**
   * Writes `value` and makes `key` the newest. `ttlMs`: this entry's own expiry from now (instead
   * of the table's); `keepExpiry`: an existing entry keeps the expiry it has.
   */
  set(key: K, value: V, ttlMs?: number, keepExpiry = false): void {
    const s = this.m.get(key);
    if (s !== undefined) {
      s.value = value;
      if (!keepExpiry) s.expires = this.expiry(ttlMs);
      if (s !== this.tail) {
        this.unlink(s);
        this.append(s);
      }
      return;
    }
    const n: Slot<K, V> = { key, value, expires: this.expiry(ttlMs), older: undefined, newer: undefined };
    this.m.set(key, n);
    this.append(n);
    if (this.m.size > this.max) this.evictOldest();
  }

  delete(key: K): boolean {
    const s = this.m.get(key);
    if (s === undefined) return false;
    this.m.delete(key);
    this.unlink(s);
    return true;
  }

  clear(): void {
    this.m.clear();
    this.head = this.tail = undefined;
  }

  /** Drops every expired entry, reporting each. */
  purgeStale(): void {
    const now = this.now();
    for (const [k, s] of this.m) {
      if (s.expires < now) {
        this.m.delete(k);
        this.unlink(s);
        this.onDrop?.(k, s.value, 'expire');
      }
    }
  }

  /** Live entries, the oldest write first. */
  *entries(): Generator<[K, V]> {
    const now = this.now();
    for (let s = this.head; s !== undefined; s = s.newer) if (s.expires >= now) yield [s.key, s.value];
  }

  /** Pushes out the entry written longest ago. */
  private evictOldest(): void {
    const s = this.head;
    if (s === undefined) return;
    this.m.delete(s.key);
    this.unlink(s);
    this.onDrop?.(s.key, s.value, 'evict');
  }

  private append(s: Slot<K, V>): void {
    s.older = this.tail;
    s.newer = undefined;
    if (this.tail !== undefined) this.tail.newer = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: Slot<K, V>): void {
    if (s.older !== undefined) s.older.newer = s.newer;
    else this.head = s.newer;
    if (s.newer !== undefined) s.newer.older = s.older;
    else this.tail = s.older;
    s.older = s.newer = undefined;
  }

  private expiry(ttlMs: number | undefined): number {
    const ttl = ttlMs ?? this.ttl;
    return ttl === Infinity ? Infinity : this.now() + ttl;
  }
}

interface LruNode<K, V> {
  key: K;
  value: V;
  /** Toward the least recently used end. */
  older: LruNode<K, V> | undefined;
  /** Toward the most recently used end. */
  newer: LruNode<K, V> | undefined;
}

/**
 * A least-recently-used table of at most `max` entries: a Map to a node of a doubly linked list
 * in recency order, so that a read moves its entry to the recent end by relinking (no delete and
 * re-insert in the Map, no arrays sized for `max` up front) and the least recently used entry is
 * the list's head. Past `max` a new key pushes out the head, reported to `onEvict`. For the WSP
 * session table (src/wsp/server.ts), whose every datagram reads a session and whose idle sweep
 * walks the sessions from the least recently used.
 */
export class LruMap<K, V> {
  private readonly m = new Map<K, LruNode<K, V>>();
  private head: LruNode<K, V> | undefined;
  private tail: LruNode<K, V> | undefined;
  private readonly max: number;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;

  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.max = Math.max(1, max);
    this.onEvict = onEvict;
  }

  get size(): number {
    return this.m.size;
  }

  has(key: K): boolean {
    return this.m.has(key);
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.m.get(key)?.value;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const n = this.m.get(key);
    if (n === undefined) return undefined;
    this.toTail(n);
    return n.value;
  }

  /** Writes `value`, now the most recently used; a new key past `max` pushes out the least recently used. */
  set(key: K, value: V): void {
    const n = this.m.get(key);
    if (n !== undefined) {
      n.value = value;
      this.toTail(n);
      return;
    }
    const node: LruNode<K, V> = { key, value, older: this.tail, newer: undefined };
    if (this.tail) this.tail.newer = node;
    else this.head = node;
    this.tail = node;
    this.m.set(key, node);
    if (this.m.size > this.max) {
      const old = this.head as LruNode<K, V>;
      this.unlink(old);
      this.m.delete(old.key);
      this.onEvict?.(old.key, old.value);
    }
  }

  delete(key: K): boolean {
    const n = this.m.get(key);
    if (n === undefined) return false;
    this.unlink(n);
    this.m.delete(key);
    return true;
  }

  /** The least recently used value, if any. */
  oldest(): V | undefined {
    return this.head?.value;
  }

  /** Values from the least recently used on (do not write the table while walking it). */
  *oldestFirst(): Generator<V> {
    for (let n = this.head; n; n = n.newer) yield n.value;
  }

  private toTail(n: LruNode<K, V>): void {
    if (n === this.tail) return;
    this.unlink(n);
    n.older = this.tail;
    n.newer = undefined;
    if (this.tail) this.tail.newer = n;
    else this.head = n;
    this.tail = n;
  }

  private unlink(n: LruNode<K, V>): void {
    if (n.older) n.older.newer = n.newer;
    else this.head = n.newer;
    if (n.newer) n.newer.older = n.older;
    else this.tail = n.older;
    n.older = n.newer = undefined;
  }
}
