/**
 * A handset's transport address as the bearers see it, and its one textual key. WSP addresses a
 * session by the peer address quadruplet (WAP-230 §7.1.2); our side of it is fixed by the
 * bearer, so the peer's address and port identify it. WTP keeps its transactions per
 * (peer, TID) (WAP-224 §9.1) and its TID cache per peer under the same key.
 */
import { sourceKey } from './net';

export interface Peer {
  address: string;
  port: number;
  family: 4 | 6;
  /** Its `peerKey`, computed once when the peer was made by `makePeer` (the bearers' peers). */
  readonly key?: string;
  /** Its `peerSource`, computed once by `makePeer` too. */
  readonly source?: string;
}

/**
 * The key the peer's traffic is counted under for per-source limits (`sourceKey` of its address,
 * src/core/net.ts: the address, or an IPv6 /64), made once for the bearers' peers.
 */
export const peerSource = (p: Peer): string => p.source ?? sourceKey(p.address);

/** The one key of a peer: "a.b.c.d:port", or "[v6]:port". */
export const peerKey = (p: Peer): string => p.key ?? keyOf(p.address, p.port, p.family);

const keyOf = (address: string, port: number, family: 4 | 6): string => (family === 6 ? `[${address}]:${port}` : `${address}:${port}`);

/**
 * A peer with its keys computed once: every layer that keys a table by it then builds no string
 * per datagram. The keys are not enumerable, so the peer still reads (and logs) as its address,
 * port and family.
 */
export const makePeer = (address: string, port: number, family: 4 | 6): Peer =>
  Object.defineProperties(
    { address, port, family },
    { key: { value: keyOf(address, port, family), enumerable: false }, source: { value: sourceKey(address), enumerable: false } },
  );

/**
 * One `Peer` object per remote address and port, reused for every datagram from it (the UDP
 * bearer's): at most `max` addresses, all forgotten at once when full (a peer made again is equal
 * to the old one, so nothing keyed by `peerKey` notices).
 */
export class PeerTable {
  private readonly byAddress = new Map<string, Map<number, Peer>>();
  private count = 0;
  constructor(readonly max: number) {}

  get(address: string, port: number, family: 4 | 6): Peer {
    let ports = this.byAddress.get(address);
    const known = ports?.get(port);
    if (known !== undefined) return known;
    if (this.count >= this.max) {
      this.byAddress.clear();
      this.count = 0;
      ports = undefined;
    }
    if (ports === undefined) this.byAddress.set(address, (ports = new Map()));
    const p = makePeer(address, port, family);
    ports.set(port, p);
    this.count++;
    return p;
  }
}

/** The two WSP bearers on UDP: connectionless (port 9200) and connection-oriented over WTP (9201). */
export type BearerRole = 'cl' | 'co';
