/**
 * A handset's transport address as the bearers see it, and its one textual key. WSP addresses a
 * session by the peer address quadruplet (WAP-230 §7.1.2); our side of it is fixed by the
 * bearer, so the peer's address and port identify it. WTP keeps its transactions per
 * (peer, TID) (WAP-224 §9.1) and its TID cache per peer under the same key.
 */
export interface Peer {
  address: string;
  port: number;
  family: 4 | 6;
}

/** The one key of a peer: "a.b.c.d:port", or "[v6]:port". */
export const peerKey = (p: Peer): string => (p.family === 6 ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`);

/** The two WSP bearers on UDP: connectionless (port 9200) and connection-oriented over WTP (9201). */
export type BearerRole = 'cl' | 'co';
