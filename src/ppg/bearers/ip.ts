/**
 * The IP bearer: a connectionless WSP Push (WAP-230 §8.2.4.1) as one UDP datagram to the phone's
 * WAP push port 2948 (WAP-259 WDP over IP, Appendix B port numbers).
 *
 * The source port should be the PPG's WSP connectionless port (9200), which a phone may check:
 * hand in the edge's UdpBearer (`edge`, its CL socket bound on wsp.connectionlessPort) or a bound
 * socket (`socket`). Without either,
 * the bearer opens its own sockets (one per address family, on an ephemeral port) and the source
 * port is then NOT 9200. Unconfirmed push: nothing comes back, so `ok` means "handed to the
 * kernel", and messageIds is empty. Send errors answer retry:true; a bad address or an oversized
 * datagram retry:false.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Peer } from '../../core/peer';
import { type BearerOutcome, type IpBearer, WAP_PUSH_PORT } from '../bearer';

/** Largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP). */
const MAX_DATAGRAM = 65507;

/** What the bearer needs of a socket: dgram.Socket has it. */
export interface DatagramSocket {
  send(msg: Buffer, port: number, address: string, callback: (err: Error | null) => void): void;
  address(): { address: string; family: string; port: number };
}

/** The edge's UDP bearer (src/edge/udp-bearer.ts): sends from its 'cl' socket, fire and forget. */
export interface EdgeDatagramSender {
  send(role: 'cl', buf: Buffer, peer: Peer): void;
  /** Whether the socket can reach this family at all (an IPv4-only socket cannot send to IPv6). */
  canReach?(family: 4 | 6): boolean;
}

export interface IpPushBearerOptions {
  /**
   * The gateway's UdpBearer: pushes leave from its WSP CL socket (source port 9200); it maps IPv4
   * peers for a dual-stack socket, counts the datagram and logs send errors itself, so `ok` then
   * means "queued on that socket". Preferred over `socket`.
   */
  edge?: EdgeDatagramSender;
  /** A bound datagram socket (source port = its port). A dual-stack "::" socket reaches IPv4 phones as ::ffff:a.b.c.d. */
  socket?: DatagramSocket;
  /** Destination port; 2948 unless a test says otherwise. */
  port?: number;
}

export class IpPushBearer implements IpBearer {
  private readonly port: number;
  private readonly handed: DatagramSocket | undefined;
  private readonly edge: EdgeDatagramSender | undefined;
  private readonly own = new Map<4 | 6, dgram.Socket>();
  private closed = false;
  readonly counts = { sent: 0, failed: 0 };

  constructor(o: IpPushBearerOptions = {}) {
    this.port = o.port ?? WAP_PUSH_PORT;
    this.handed = o.socket;
    this.edge = o.edge;
  }

  /** Which source the pushes leave from: the handed CL socket or our own ephemeral ones. */
  status(): Record<string, unknown> {
    const source = this.edge ? 'wsp-cl socket (edge)' : this.handed ? `wsp-cl socket port ${this.handed.address().port}` : 'own socket (ephemeral port)';
    return { source, ...this.counts };
  }

  async send(address: string, wdp: Buffer): Promise<BearerOutcome> {
    const family = isIP(address);
    if (family === 0) return { ok: false, retry: false, code: 'ERR_IP_BAD_ADDRESS', reason: `not an IP address: ${address}` };
    if (wdp.length > MAX_DATAGRAM) return { ok: false, retry: false, code: 'ERR_IP_TOO_LARGE', reason: `${wdp.length} octets do not fit one UDP datagram` };
    if (this.closed) return { ok: false, retry: true, code: 'ERR_IP_CLOSED', reason: 'the IP bearer is closed' };
    if (this.edge) {
      if (this.edge.canReach && !this.edge.canReach(family as 4 | 6)) return { ok: false, retry: false, code: 'ERR_IP_FAMILY', reason: 'IPv6 address but the WSP socket is IPv4 only (bind "::")' };
      this.edge.send('cl', wdp, { address, port: this.port, family: family as 4 | 6 });
      this.counts.sent++;
      return { ok: true, messageIds: [] };
    }
    let sock: DatagramSocket;
    let to = address;
    if (this.handed) {
      sock = this.handed;
      const a = this.handed.address();
      if (family === 4 && a.family === 'IPv6') to = `::ffff:${address}`;
      else if (family === 6 && a.family === 'IPv4') return { ok: false, retry: false, code: 'ERR_IP_FAMILY', reason: 'IPv6 address but the WSP socket is IPv4 only (bind "::")' };
    } else sock = await this.ownSocket(family as 4 | 6);
    return new Promise((resolve) => {
      sock.send(wdp, this.port, to, (err) => {
        if (err) {
          this.counts.failed++;
          resolve({ ok: false, retry: true, code: 'ERR_IP_SEND', reason: err.message });
        } else {
          this.counts.sent++;
          resolve({ ok: true, messageIds: [] });
        }
      });
    });
  }

  private async ownSocket(family: 4 | 6): Promise<dgram.Socket> {
    let s = this.own.get(family);
    if (s) return s;
    s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    this.own.set(family, s);
    s.on('error', () => undefined); // send errors come back through the send callback
    await new Promise<void>((resolve) => s!.bind(0, () => resolve()));
    return s;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.own.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.own.clear();
  }
}
