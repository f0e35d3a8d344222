/** A test `Peer` (src/core/peer.ts) written as "a.b.c.d:port" (IPv4 only). */
import type { Peer } from '../../src/core/peer';

export function v4(s: string): Peer {
  const i = s.lastIndexOf(':');
  return { address: s.slice(0, i), port: Number(s.slice(i + 1)), family: 4 };
}
