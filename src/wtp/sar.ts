/**
 * WTP segmentation and reassembly (WAP-224 §9.4 "Segmentation and re-assembly"), pure helpers.
 *
 * A message travels as packets PSN 0..n-1 (PSN is one octet, so n <= 256): PSN 0 is the Invoke
 * or Result itself, the rest are Segmented Invoke / Segmented Result PDUs. Packets go in
 * groups: the last packet of a group has GTR = 1, the last packet of the message TTR = 1. The
 * receiver acknowledges a group with an Ack carrying a PSN TPI (the group's last PSN) and asks
 * for missing packets with a Negative Ack listing their PSNs.
 *
 * Inbound: `absorb` stores one packet in an immutable `Inbound` record; `contiguous`,
 * `missing`, `ackablePsn`, `isComplete` and `assemble` read it. A message is only ever
 * assembled when every PSN 0..TTR is present: never a truncated message.
 *
 * Outbound: `chooseSegmentSize` picks the segment size for a Result. Because PSN is 8 bits a
 * message has at most 256 packets, so the size is max(configured, ceil(len / 256)), never above
 * what the client said it can receive (MRU Option TPI, or a limit from WSP). With the default
 * 1400-octet segments this covers 358 400 octets; a 1 MB object goes in 4096-octet segments when
 * the client allows it. `segment` cuts views (no copies).
 */

/** PSN is one octet: at most 256 packets per message (WAP-224 §9.4). */
export const MAX_PACKETS = 256;
/** Largest UDP payload over IPv4 minus the 4-octet Segmented Result header. */
export const MAX_SEGMENT_DATA = 65507 - 4;
/** Largest single Result (no SAR): UDP payload minus the 3-octet Result header. */
export const MAX_SINGLE_RESULT = 65507 - 3;

export interface Inbound {
  /** Packets by PSN; holes are undefined. */
  readonly segs: ReadonlyArray<Buffer | undefined>;
  /** Octets held (each PSN counted once). */
  readonly bytes: number;
  /** PSNs of packets that carried GTR = 1. */
  readonly groupEnds: readonly number[];
  /** PSN of the packet with TTR = 1, or -1 while unknown. */
  readonly ttrPsn: number;
  /** Highest PSN we have acknowledged with an Ack(PSN), -1 for none. */
  readonly ackedPsn: number;
}

export const emptyInbound: Inbound = { segs: [], bytes: 0, groupEnds: [], ttrPsn: -1, ackedPsn: -1 };

/** The packet-less reassembly states given out by `withoutPackets`, by (ttrPsn, ackedPsn). */
const packetless = new Map<number, Inbound>();

/**
 * The reassembly state with its packets given up (delivered to the user, or the transaction
 * finished): only the two PSNs later Acks need. One shared record per (ttrPsn, ackedPsn) pair
 * (a PSN is one octet on the wire, WAP-224 §8, so with -1 at most 257 x 257 pairs), and a
 * transaction kept for timer W holds no reassembly record of its own. Records are never
 * changed, only replaced (`absorb`).
 */
export function withoutPackets(inb: Inbound): Inbound {
  const key = (inb.ttrPsn + 1) * 257 + (inb.ackedPsn + 1);
  let r = packetless.get(key);
  if (r === undefined) packetless.set(key, (r = { ...emptyInbound, ttrPsn: inb.ttrPsn, ackedPsn: inb.ackedPsn }));
  return r;
}

/** Stores one packet. A PSN already held is kept as first received (duplicates change nothing). */
export function absorb(inb: Inbound, psn: number, data: Buffer, gtr: boolean, ttr: boolean): Inbound {
  // the usual message: one packet (PSN 0, TTR = 1) into nothing held, without the copies below
  if (psn === 0 && ttr && inb.segs.length === 0) return { segs: [data], bytes: data.length, groupEnds: inb.groupEnds, ttrPsn: 0, ackedPsn: inb.ackedPsn };
  const have = inb.segs[psn] !== undefined;
  let segs = inb.segs;
  let bytes = inb.bytes;
  if (!have) {
    const copy = inb.segs.slice();
    copy[psn] = data;
    segs = copy;
    bytes += data.length;
  }
  // GTR=TTR=1 is a single-packet message from a sender without SAR: the TTR wins.
  const groupEnds = gtr && !ttr && !inb.groupEnds.includes(psn) ? [...inb.groupEnds, psn].sort((a, b) => a - b) : inb.groupEnds;
  const ttrPsn = ttr ? psn : inb.ttrPsn;
  if (segs === inb.segs && groupEnds === inb.groupEnds && ttrPsn === inb.ttrPsn) return inb;
  return { ...inb, segs, bytes, groupEnds, ttrPsn };
}

/** Highest k such that PSN 0..k are all present; -1 when PSN 0 is missing. */
export function contiguous(inb: Inbound): number {
  let k = -1;
  while (k + 1 < inb.segs.length && inb.segs[k + 1] !== undefined) k++;
  return k;
}

/** Highest PSN the sender has told us about (a group end or the TTR), -1 for none. */
export function highestBoundary(inb: Inbound): number {
  const g = inb.groupEnds.length ? (inb.groupEnds[inb.groupEnds.length - 1] as number) : -1;
  return Math.max(g, inb.ttrPsn);
}

/** PSNs missing below the highest announced boundary: what a Negative Ack lists. */
export function missing(inb: Inbound): number[] {
  const top = highestBoundary(inb);
  const out: number[] = [];
  for (let p = 0; p <= top; p++) if (inb.segs[p] === undefined) out.push(p);
  return out;
}

/** The last PSN of the highest complete group (all packets up to it present), or -1. */
export function ackablePsn(inb: Inbound): number {
  const c = contiguous(inb);
  let best = -1;
  for (const g of inb.groupEnds) if (g <= c && g > best) best = g;
  return best;
}

export function isComplete(inb: Inbound): boolean {
  return inb.ttrPsn >= 0 && contiguous(inb) >= inb.ttrPsn;
}

/** The whole message, PSN 0..TTR in order. Throws if called on an incomplete message. */
export function assemble(inb: Inbound): Buffer {
  if (!isComplete(inb)) throw new Error('assemble called on an incomplete message');
  const parts = inb.segs.slice(0, inb.ttrPsn + 1) as Buffer[];
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/**
 * Segment size for a Result of `len` octets, or null when it cannot be sent.
 * `sar` false: the client does not do SAR (its Invoke had GTR = TTR = 1): one packet only.
 * `clientLimit`: the most data octets per packet the client accepts (MRU, WSP), if known.
 */
export function chooseSegmentSize(len: number, configured: number, sar: boolean, clientLimit?: number): number | null {
  const cap = Math.min(clientLimit ?? Infinity, sar ? MAX_SEGMENT_DATA : MAX_SINGLE_RESULT);
  if (!sar) return len <= cap ? Math.max(len, 1) : null;
  const size = Math.min(Math.max(configured, Math.ceil(len / MAX_PACKETS)), cap);
  return size * MAX_PACKETS >= len ? size : null;
}

/** Largest Result a client can receive: what `chooseSegmentSize` would still accept. */
export function maxMessageFor(sar: boolean, clientLimit?: number): number {
  const cap = Math.min(clientLimit ?? Infinity, sar ? MAX_SEGMENT_DATA : MAX_SINGLE_RESULT);
  return sar ? cap * MAX_PACKETS : cap;
}

/** Cuts `data` into views of at most `size` octets; an empty message is one empty packet. */
export function segment(data: Buffer, size: number): Buffer[] {
  // one packet: the message itself (no view of it)
  if (data.length <= size) return [data];
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += size) out.push(data.subarray(off, Math.min(off + size, data.length)));
  return out;
}

/** First and last PSN of the group that starts at `start`. */
export function groupRange(start: number, groupSize: number, n: number): [number, number] {
  return [start, groupEnd(start, groupSize, n)];
}

/** The last PSN of the group that starts at `start` (`groupRange`'s end, without the pair). */
export function groupEnd(start: number, groupSize: number, n: number): number {
  return Math.min(start + groupSize, n) - 1;
}
