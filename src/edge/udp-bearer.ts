/**
 * The UDP bearer (WAP-259 WDP over IP): two datagram sockets, one for connectionless WSP
 * (wsp.connectionlessPort, 9200) and one for WTP (wsp.connectionOrientedPort, 9201). With
 * bind "::" each socket is dual stack (ipv6Only false), so IPv4 peers arrive as
 * ::ffff:a.b.c.d and are normalised. This and timer-driver.ts are the only code on the UDP
 * side that touches sockets or timers; everything above receives (buf, peer) and returns
 * datagrams to send. A listener error is logged, never thrown into the event loop.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP, isIPv6 } from 'node:net';
import type { Logger } from '../core/logger';
import { normalizeAddress } from '../core/net';
import { PeerTable, type BearerRole, type Peer } from '../core/peer';
import type { Metrics, Tally } from '../ops/metrics';

export type { BearerRole, Peer } from '../core/peer';

export interface UdpBearerOptions {
  bind: string;
  connectionlessPort: number;
  connectionOrientedPort: number;
  logger: Logger;
  metrics: Metrics;
}

export interface BoundSocket {
  role: BearerRole;
  address: string;
  port: number;
}

export interface UdpBearerEvents {
  datagram: [buf: Buffer, peer: Peer, role: BearerRole];
}

/** Remote addresses whose Peer object is kept for reuse (a bound on memory, not on handsets served). */
const PEER_TABLE_MAX = 65536;

/** Largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP). */
export const MAX_DATAGRAM = 65507;

/**
 * The sockets' address lookup: every destination is an address literal (a peer's own source
 * address), so it is handed back at once instead of through dns.lookup, which defers each send
 * to the next tick. Anything that is not a literal is refused.
 */
function literalLookup(address: string, _family: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(address);
  if (family === 0) cb(Object.assign(new Error(`not an address literal: ${address}`), { code: 'EINVAL' }), address, 0);
  else cb(null, address, family);
}

export class UdpBearer extends EventEmitter<UdpBearerEvents> {
  private readonly opts: UdpBearerOptions;
  private readonly sockets = new Map<BearerRole, dgram.Socket>();
  private closed = false;
  /** Datagrams and octets by direction and role, as tallies (added to the counters at scrape time, Metrics.tally). */
  /** Bound to an IPv6 address: the sockets are dual stack and an IPv4 peer is written in its mapped form (decided once, not per send). */
  private readonly dualStack: boolean;
  private readonly tally: Record<'in' | 'out', Record<BearerRole, { count: Tally; bytes: Tally }>>;
  /** One Peer per remote address and port (its key built once), shared by both sockets. */
  private readonly peers = new PeerTable(PEER_TABLE_MAX);
  /** The one consumer of datagrams, when set (`handle`): called directly instead of the 'datagram' event. */
  private handler: ((buf: Buffer, peer: Peer, role: BearerRole) => void) | undefined;

  constructor(opts: UdpBearerOptions) {
    super();
    this.opts = opts;
    this.dualStack = isIPv6(opts.bind);
    const m = opts.metrics;
    const pair = (direction: 'in' | 'out', bearer: BearerRole) => ({ count: m.tally(m.datagrams, { direction, bearer }), bytes: m.tally(m.datagramBytes, { direction, bearer }) });
    this.tally = { in: { cl: pair('in', 'cl'), co: pair('in', 'co') }, out: { cl: pair('out', 'cl'), co: pair('out', 'co') } };
  }

  async start(): Promise<BoundSocket[]> {
    const out: BoundSocket[] = [];
    for (const [role, port] of [
      ['cl', this.opts.connectionlessPort],
      ['co', this.opts.connectionOrientedPort],
    ] as const) {
      out.push(await this.open(role, port));
    }
    return out;
  }

  private open(role: BearerRole, port: number): Promise<BoundSocket> {
    const v6 = isIPv6(this.opts.bind);
    const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false, reuseAddr: false, lookup: literalLookup });
    this.sockets.set(role, sock);
    const rx = this.tally.in[role];
    sock.on('message', (msg, rinfo) => {
      rx.count.n++;
      rx.bytes.n += msg.length;
      const address = rinfo.family === 'IPv6' ? normalizeAddress(rinfo.address) : rinfo.address;
      const peer = this.peers.get(address, rinfo.port, rinfo.family === 'IPv4' || !address.includes(':') ? 4 : 6);
      try {
        const h = this.handler;
        if (h !== undefined) h(msg, peer, role);
        else this.emit('datagram', msg, peer, role);
      } catch (err) {
        // a handler bug must never take the listener down
        this.opts.logger.error({ err, peer: `${peer.address}:${peer.port}`, bearer: role }, 'datagram handler failed');
      }
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      sock.once('error', onError);
      sock.bind(port, this.opts.bind, () => {
        sock.off('error', onError);
        sock.on('error', (err) => this.opts.logger.error({ err, bearer: role }, 'udp socket error'));
        // large SAR bursts and many handsets: ask for roomy kernel buffers (best effort)
        try {
          sock.setRecvBufferSize(4 * 1024 * 1024);
          sock.setSendBufferSize(4 * 1024 * 1024);
        } catch {
          /* not permitted: keep the defaults */
        }
        const a = sock.address();
        resolve({ role, address: a.address, port: a.port });
      });
    });
  }

  /**
   * Hands every datagram to `h` directly, instead of emitting 'datagram' (an EventEmitter call,
   * with its argument list, per datagram): for the one consumer, the WSP gateway.
   */
  handle(h: (buf: Buffer, peer: Peer, role: BearerRole) => void): void {
    this.handler = h;
  }

  /** The bound socket of a role (the PPG's IP push sends from the CL socket, port 9200), undefined before start or after close. */
  socket(role: BearerRole): dgram.Socket | undefined {
    return this.closed ? undefined : this.sockets.get(role);
  }

  /** Whether the sockets can send to this address family (IPv6 only when bound to an IPv6 address such as "::"). */
  canReach(family: 4 | 6): boolean {
    return family === 4 || isIPv6(this.opts.bind);
  }

  /** Sends one datagram; a send the kernel refuses is dropped, as the network may drop it. */
  send(role: BearerRole, buf: Buffer, peer: Peer): void {
    const sock = this.sockets.get(role);
    if (!sock || this.closed) return;
    if (buf.length > MAX_DATAGRAM) {
      this.opts.logger.error({ bearer: role, bytes: buf.length }, 'datagram too large, not sent');
      return;
    }
    let address = peer.address;
    // a dual-stack socket needs the mapped form for an IPv4 peer
    if (this.dualStack && peer.family === 4) address = `::ffff:${address}`;
    const tx = this.tally.out[role];
    tx.count.n++;
    tx.bytes.n += buf.length;
    // no completion callback: a datagram that the kernel takes at once (the usual case) then
    // costs no SendWrap callback on the next tick; a failed send is dropped like a lost datagram
    // (the WTP retransmission timers recover it, WAP-224 §9)
    sock.send(buf, peer.port, address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.sockets.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            try {
              s.close(() => resolve());
            } catch {
              resolve();
            }
          }),
      ),
    );
    this.sockets.clear();
  }
}
