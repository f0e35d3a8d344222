/**
 * Runs a test handset (lossy-link.ts's WTP initiator, with Mor1Client's WSP on top) over a real
 * UDP socket in real time: the HandsetHost whose clock is performance.now(), whose timers are
 * setTimeout and whose link is a socket on 127.0.0.1.
 */
import dgram from 'node:dgram';
import { decodeWtp, encodeWtp } from '../../src/codec/wtp';
import type { WtpPdu } from '../../src/codec/wtp/types';
import { Handset, type HandsetHost, type HandsetOptions } from './lossy-link';

export class UdpHandsetHost implements HandsetHost {
  readonly sock = dgram.createSocket('udp4');
  readonly handset: Handset;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly targetPort: number,
    opts: HandsetOptions,
  ) {
    this.handset = new Handset(this, 'udp', opts);
    this.sock.on('message', (m) => {
      let pdu: WtpPdu;
      try {
        pdu = decodeWtp(m);
      } catch {
        return;
      }
      this.handset.onPdu(pdu);
    });
    this.sock.on('error', () => undefined);
  }

  static async open(targetPort: number, opts: HandsetOptions = {}): Promise<UdpHandsetHost> {
    const h = new UdpHandsetHost(targetPort, opts);
    await new Promise<void>((r) => h.sock.bind(0, '127.0.0.1', r));
    return h;
  }

  get now(): number {
    return performance.now();
  }

  schedule(at: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, at - this.now));
    this.timers.add(t);
  }

  transmit(_dir: 'up', _peer: string, pdu: WtpPdu): void {
    if (!this.closed) this.sock.send(encodeWtp(pdu), this.targetPort, '127.0.0.1');
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.sock.close();
  }
}
