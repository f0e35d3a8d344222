/**
 * The finished transactions a WTP responder remembers for timer W (WAP-224 §9.3.2: a transaction
 * in WAIT_TIMEOUT absorbs late duplicates of its Invoke until W expires, then is forgotten), held
 * packed: what the state table's WAIT_TIMEOUT rows read and nothing else, in the arrays of a ring
 * in the order the transactions finished, with one index from the transaction key to its slot
 * (key-index.ts: open addressing in a typed array).
 *
 * What a WAIT_TIMEOUT row reads (src/wtp/machine.ts): the class (`tcl2`: a class 2 duplicate
 * is only noted, a class 1 duplicate is acknowledged again), the TID, the last PSN of the
 * Invoke and whether a hold-on Ack was sent (the repeated Ack's PSN TPI and RID), and the peer
 * to send to. `restore` rebuilds a machine record in WAIT_TIMEOUT from exactly that, so that
 * every event on a finished transaction still goes through the same rows; the other fields of
 * the record (counters, timers, SAR plans) are at their starting values, which no
 * WAIT_TIMEOUT row reads.
 *
 * Why not keep the machine's own record: under load this table is full (up to
 * wtp.maxTransactions finished transactions for W, 30 s), and a record of twenty fields with its
 * timers object and the table's slot is several objects per transaction that survive two young
 * collections, are copied twice and then marked by every full collection. Here a finished
 * transaction is a few numbers in arrays that grow with the load (typed arrays, and a plain
 * array of small integers for the keys), a peer reference, and one cell of the key index:
 * nothing is allocated when a transaction finishes, and the old generation holds far less for
 * the collector to trace (bench/RESULTS.md, "WSP CPU per cycle: the finished transactions
 * packed, the method path without promises").
 *
 * Expiry: a transaction enters at the end of its life with deadline now + W, and `now` only
 * grows, so the ring is also in deadline order: `purge` pops expired ones from its head. A
 * lookup checks the deadline too (an expired one is as good as gone). When the ring is at its
 * bound, the oldest finished transaction is forgotten first (as a full table did before).
 */
import type { Peer } from '../core/peer';
import type { Tcl } from '../codec/wtp/types';
import { withoutPackets, emptyInbound } from './sar';
import type { Limits, TxRecord } from './machine';
import { KeyIndex } from './key-index';

/** Bits of `info`: the TID (15 bits), the class, and the record's flags. */
const TCL_SHIFT = 15;
const UACK = 1 << 17;
const HOLD_ON = 1 << 18;
const TID_VERIFIED = 1 << 19;
const SAR = 1 << 20;

/** The first ring size; it doubles as needed up to the bound. */
const FIRST_CAPACITY = 1024;

export class FinishedTable {
  /** Slot of each held transaction, by its key (open addressing in a typed array, key-index.ts). */
  private readonly slots = new KeyIndex();
  /** The key held in each slot (to forget it from the index when the slot leaves the ring). */
  private keys: number[];
  private deadlines: Float64Array;
  private info: Int32Array;
  /** (ttrPsn + 1) | (ackedPsn + 1) << 9: the two PSNs later Acks need (sar.ts `withoutPackets`). */
  private psns: Int32Array;
  /** undefined marks a free slot (never held, or forgotten before its turn at the head). */
  private peers: Array<Peer | undefined>;
  /** The oldest slot, and how many slots from it on are in use (held or forgotten early). */
  private head = 0;
  private used = 0;

  constructor(
    /** Most finished transactions held. */
    readonly max: number,
    /** Told of each transaction that leaves, whatever the reason (its peer's count of transactions). */
    private readonly onLeave: (peer: Peer) => void,
  ) {
    const cap = Math.min(FIRST_CAPACITY, ceilPow2(Math.max(1, max)));
    this.keys = new Array<number>(cap).fill(0);
    this.deadlines = new Float64Array(cap);
    this.info = new Int32Array(cap);
    this.psns = new Int32Array(cap);
    this.peers = new Array<Peer | undefined>(cap).fill(undefined);
  }

  /** Transactions held (expired ones count until they are purged or looked up). */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Remembers a transaction that has just entered WAIT_TIMEOUT, until `deadline` (timer W).
   * Allocates nothing once the ring has grown to the load.
   */
  add(key: number, tx: TxRecord, deadline: number): void {
    this.remove(key);
    if (this.slots.size >= this.max) this.dropOldest();
    if (this.used === this.keys.length) {
      // the slots in use from the head on are full: first reclaim forgotten ones at the head
      this.skipFree();
      if (this.used === this.keys.length) this.grow();
    }
    const cap = this.keys.length;
    const s = (this.head + this.used) & (cap - 1);
    this.used++;
    this.keys[s] = key;
    this.deadlines[s] = deadline;
    this.info[s] = tx.tid | (tx.tcl << TCL_SHIFT) | (tx.uack ? UACK : 0) | (tx.holdOnSent ? HOLD_ON : 0) | (tx.tidVerified ? TID_VERIFIED : 0) | (tx.sar ? SAR : 0);
    this.psns[s] = (tx.inbound.ttrPsn + 1) | ((tx.inbound.ackedPsn + 1) << 9);
    this.peers[s] = tx.peer;
    this.slots.set(key, s);
  }

  /**
   * The machine record of a held transaction, in WAIT_TIMEOUT, for one event through the state
   * table; undefined when not held or expired at `now`. Nothing the WAIT_TIMEOUT rows do changes
   * what is kept here (they note duplicates, send Acks, or end the transaction: `remove`).
   */
  restore(key: number, now: number, limits: Limits): TxRecord | undefined {
    const s = this.slots.get(key);
    if (s < 0 || (this.deadlines[s] as number) < now) return undefined;
    const info = this.info[s] as number;
    const psns = this.psns[s] as number;
    const inbound = withoutPackets({ ...emptyInbound, ttrPsn: (psns & 0x1ff) - 1, ackedPsn: (psns >>> 9) - 1 });
    return {
      clientMru: undefined,
      clientMaxGroup: undefined,
      state: 'WAIT_TIMEOUT',
      peer: this.peers[s] as Peer,
      tid: info & 0x7fff,
      tcl: ((info >>> TCL_SHIFT) & 3) as Tcl,
      uack: (info & UACK) !== 0,
      sar: (info & SAR) !== 0,
      limits,
      aec: 0,
      rcr: 0,
      nackCount: 0,
      holdOnSent: (info & HOLD_ON) !== 0,
      tidVerified: (info & TID_VERIFIED) !== 0,
      inbound,
      outbound: undefined,
      timers: { A: undefined, R: undefined, W: this.deadlines[s] as number, NACK: undefined },
      lastSendAt: -Infinity,
      outcome: 'completed',
    };
  }

  /** Forgets a transaction (the peer aborted it, or a new one reuses its TID); false when not held. */
  remove(key: number): boolean {
    const s = this.slots.delete(key);
    if (s < 0) return false;
    const peer = this.peers[s] as Peer;
    this.peers[s] = undefined;
    this.onLeave(peer);
    return true;
  }

  /** Forgets every transaction whose W has expired at `now`. */
  purge(now: number): void {
    this.skipFree();
    while (this.used > 0 && (this.deadlines[this.head] as number) < now) {
      this.dropOldest();
      this.skipFree();
    }
  }

  /** Forgets the oldest held transaction (the table is at its bound). */
  dropOldest(): void {
    this.skipFree();
    if (this.used === 0) return;
    const s = this.head;
    this.slots.delete(this.keys[s] as number);
    const peer = this.peers[s] as Peer;
    this.peers[s] = undefined;
    this.head = (s + 1) & (this.keys.length - 1);
    this.used--;
    this.onLeave(peer);
  }

  /** Moves the head past slots forgotten early. */
  private skipFree(): void {
    const mask = this.keys.length - 1;
    while (this.used > 0 && this.peers[this.head] === undefined) {
      this.head = (this.head + 1) & mask;
      this.used--;
    }
  }

  /**
   * Lays the held transactions out again from slot 0, in order, dropping the slots forgotten
   * early; the ring doubles when more than half of it is held (so it never exceeds twice the
   * bound rounded up to a power of two).
   */
  private grow(): void {
    const old = this.keys.length;
    const cap = this.slots.size * 2 > old ? old * 2 : old;
    const keys = new Array<number>(cap).fill(0);
    const deadlines = new Float64Array(cap);
    const info = new Int32Array(cap);
    const psns = new Int32Array(cap);
    const peers = new Array<Peer | undefined>(cap).fill(undefined);
    let w = 0;
    for (let i = 0; i < this.used; i++) {
      const from = (this.head + i) & (old - 1);
      const peer = this.peers[from];
      if (peer === undefined) continue;
      keys[w] = this.keys[from] as number;
      deadlines[w] = this.deadlines[from] as number;
      info[w] = this.info[from] as number;
      psns[w] = this.psns[from] as number;
      peers[w] = peer;
      this.slots.set(keys[w] as number, w);
      w++;
    }
    this.keys = keys;
    this.deadlines = deadlines;
    this.info = info;
    this.psns = psns;
    this.peers = peers;
    this.head = 0;
    this.used = w;
  }
}

function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
