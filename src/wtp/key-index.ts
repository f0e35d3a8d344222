/**
 * An index from transaction keys (non-negative integers below 2^53, src/wtp/responder.ts `TxId`)
 * to slots (integers 0..2^31-1), in one typed array: open addressing with linear probing, each
 * cell the key and its slot side by side (one cache line read per probe), at most half full, a
 * deleted cell filled again by shifting the cells after it back (no tombstones, so probes stay
 * short however many keys come and go).
 *
 * Why not a Map: the table of finished transactions (src/wtp/finished.ts) keeps every finished
 * transaction for timer W, tens of thousands under load, and looks one up (nearly always a miss)
 * for every Invoke, then inserts and later deletes it. A V8 Map that large costs a few cache
 * misses per lookup through its bucket array and entry chains, and rebuilds its whole backing
 * store (an old-generation allocation the size of the table) every time its deleted entries fill
 * it, which a table with one delete per insert does continually (bench/RESULTS.md, "WSP CPU per
 * cycle: seventh pass, the cores").
 */

/** The first capacity (cells); it doubles as the index fills. */
const FIRST_CELLS = 1024;
/** The value of an empty cell's slot. */
const EMPTY = -1;

export class KeyIndex {
  /** Cell i: key at 2i, slot at 2i + 1 (EMPTY: the cell is free). */
  private cells: Float64Array;
  private mask: number;
  /** 32 - log2(cells): the shift that takes a hash's top bits as the home cell. */
  private shift: number;
  private count = 0;

  constructor() {
    this.cells = emptyCells(FIRST_CELLS);
    this.mask = FIRST_CELLS - 1;
    this.shift = 32 - Math.log2(FIRST_CELLS);
  }

  get size(): number {
    return this.count;
  }

  /** The home cell of a key: Fibonacci hashing of its two 32-bit halves. */
  private home(key: number): number {
    const lo = key | 0;
    const hi = (key / 4294967296) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** The slot of `key`, or -1 when it is not held. */
  get(key: number): number {
    const c = this.cells;
    const mask = this.mask;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const slot = c[2 * i + 1] as number;
      if (slot === EMPTY) return -1;
      if (c[2 * i] === key) return slot;
    }
  }

  /** Holds `key` at `slot` (replacing the slot it had). */
  set(key: number, slot: number): void {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    const c = this.cells;
    const mask = this.mask;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const s = c[2 * i + 1] as number;
      if (s === EMPTY) {
        c[2 * i] = key;
        c[2 * i + 1] = slot;
        this.count++;
        return;
      }
      if (c[2 * i] === key) {
        c[2 * i + 1] = slot;
        return;
      }
    }
  }

  /** Forgets `key`; its slot, or -1 when it was not held. */
  delete(key: number): number {
    const c = this.cells;
    const mask = this.mask;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const s = c[2 * i + 1] as number;
      if (s === EMPTY) return -1;
      if (c[2 * i] === key) break;
    }
    const slot = c[2 * i + 1] as number;
    // backward shift: each following cell of the run moves into the hole unless its home lies
    // cyclically in (hole, cell], where it would no longer be found
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = c[2 * j + 1] as number;
      if (s === EMPTY) break;
      const h = this.home(c[2 * j] as number);
      const stays = i <= j ? i < h && h <= j : i < h || h <= j;
      if (stays) continue;
      c[2 * i] = c[2 * j] as number;
      c[2 * i + 1] = s;
      i = j;
    }
    c[2 * i] = 0;
    c[2 * i + 1] = EMPTY;
    this.count--;
    return slot;
  }

  /** Forgets every key. */
  clear(): void {
    this.cells.fill(0);
    for (let i = 1; i < this.cells.length; i += 2) this.cells[i] = EMPTY;
    this.count = 0;
  }

  private grow(): void {
    const old = this.cells;
    const n = 2 * (this.mask + 1);
    this.cells = emptyCells(n);
    this.mask = n - 1;
    this.shift = 32 - Math.log2(n);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.set(old[i] as number, old[i + 1] as number);
  }
}

function emptyCells(n: number): Float64Array {
  const c = new Float64Array(2 * n);
  for (let i = 1; i < c.length; i += 2) c[i] = EMPTY;
  return c;
}
