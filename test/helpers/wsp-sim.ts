/**
 * The whole connection-oriented WSP stack (WspServer over the real WTP responder and the real
 * WSP codec, src/wsp + src/wtp) joined to test handsets by a simulated lossy link, in simulated
 * time: the WSP counterpart of lossy-link.ts's Pair. The MMSC is a stand-in bridge that records
 * every request and answers after `mmscDelayMs` of simulated time.
 * The handsets are Mor1Client (mor1-client.ts) on lossy-link.ts's WTP initiator.
 */
import { createHash } from 'node:crypto';
import { wspReporter } from '../../src/edge/wsp-report';
import { wtpReporter } from '../../src/edge/wtp-report';
import { decodeWtp, encodeWtp } from '../../src/codec/wtp';
import type { WtpPdu } from '../../src/codec/wtp/types';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import type { MethodReply, MethodRequest } from '../../src/bridge/bridge';
import type { Peer } from '../../src/edge/udp-bearer';
import { createWspCodec } from '../../src/wsp/adapters';
import { createWtpPort } from '../../src/wtp';
import { WspServer } from '../../src/wsp/server';
import { TimerHeap } from '../../src/wtp/timer-heap';
import { Handset, PERFECT, Rng, type HandsetHost, type LinkConfig } from './lossy-link';

export interface SimDelivery {
  dir: 'up' | 'down';
  peer: string;
  pdu: WtpPdu;
  at: number;
}

export interface WspSimOptions {
  seed?: number;
  link?: Partial<LinkConfig>;
  config?: ConfigInput;
  mmscDelayMs?: number;
}

const toPeer = (key: string): Peer => {
  const i = key.lastIndexOf(':');
  return { address: key.slice(0, i), port: Number(key.slice(i + 1)), family: 4 };
};
const sha = (b: Buffer | undefined): string => createHash('sha256').update(b ?? Buffer.alloc(0)).digest('hex');

export class WspSim implements HandsetHost {
  now = 0;
  readonly rng: Rng;
  link: LinkConfig;
  readonly metrics = new Metrics();
  readonly server: WspServer;
  readonly config;
  /** Return false to drop this datagram (targeted loss). */
  filter: (d: SimDelivery) => boolean = () => true;
  readonly sent: SimDelivery[] = [];
  /** Every request the MMSC stand-in received, with its body's SHA-256. */
  readonly mmsc: Array<{ method: string; uri: string; body: string; at: number }> = [];
  mmscDelayMs: number;
  private readonly q = new TimerHeap<() => void>();
  private readonly handsets = new Map<string, Handset>();
  private armedAt: number | undefined;

  constructor(o: WspSimOptions = {}) {
    this.rng = new Rng(o.seed ?? 1);
    this.link = { ...PERFECT, ...o.link };
    this.mmscDelayMs = o.mmscDelayMs ?? 30;
    this.config = configSchema.parse({ ...o.config, wsp: { maxSessionsPerSource: 1000, ...(o.config?.wsp ?? {}) } });
    const logger = silentLogger();
    this.server = new WspServer({
      config: this.config,
      wtp: createWtpPort({ config: this.config, report: wtpReporter(this.metrics, logger) }),
      codec: createWspCodec(),
      bridge: { handle: (req, done) => this.handle(req, done) },
      report: wspReporter(this.metrics, logger),
      send: (_role, buf, peer) => this.transmitBytes('down', `${peer.address}:${peer.port}`, buf),
      now: () => this.now,
      onAsyncOutput: () => this.arm(),
    });
  }

  handset(peer: string): Handset {
    const h = new Handset(this, peer, { retryMs: 1500, maxRetries: 40 });
    this.handsets.set(peer, h);
    return h;
  }

  schedule(at: number, fn: () => void): void {
    this.q.push(Math.max(at, this.now), fn);
  }

  transmit(dir: 'up' | 'down', peer: string, pdu: WtpPdu): void {
    this.transmitBytes(dir, peer, encodeWtp(pdu));
  }

  private transmitBytes(dir: 'up' | 'down', peer: string, bytes: Buffer): void {
    const d: SimDelivery = { dir, peer, pdu: decodeWtp(bytes), at: this.now };
    this.sent.push(d);
    if (!this.filter(d) || this.rng.chance(this.link.loss)) return;
    const copies = this.rng.chance(this.link.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.link.delayMs + this.rng.next() * this.link.jitterMs;
      // the copy comes up to 50 ms late, as in the relay
      if (i > 0) delay += this.rng.next() * 50;
      else if (this.rng.chance(this.link.reorder)) delay += this.link.delayMs * (1 + 3 * this.rng.next());
      this.schedule(this.now + delay, () => this.arrive(dir, peer, bytes));
    }
  }

  private arrive(dir: 'up' | 'down', peer: string, bytes: Buffer): void {
    if (dir === 'up') {
      this.server.receiveCo(bytes, toPeer(peer), this.now);
      this.arm();
    } else this.handsets.get(peer)?.onPdu(decodeWtp(bytes));
  }

  private handle(req: MethodRequest, done: (reply: MethodReply) => void): void {
    this.mmsc.push({ method: req.method, uri: req.uri, body: sha(req.body), at: this.now });
    this.schedule(this.now + this.mmscDelayMs, () => done({ status: 200, contentType: 'application/vnd.wap.mms-message', headers: [], body: Buffer.from('ok') } as MethodReply));
  }

  arm(): void {
    const d = this.server.nextDeadline();
    if (d === undefined || (this.armedAt !== undefined && this.armedAt <= d)) return;
    this.armedAt = d;
    this.schedule(d, () => {
      this.armedAt = undefined;
      this.server.tick(this.now);
      this.arm();
    });
  }

  /** Runs simulated time until `done()`, `maxMs` passes, or nothing is left to do. */
  async run(done: () => boolean, maxMs = 600_000): Promise<boolean> {
    const end = this.now + maxMs;
    for (;;) {
      if (done()) return true;
      const top = this.q.peek();
      if (!top || top.at > end) {
        if (end < Infinity) this.now = end;
        return done();
      }
      this.q.pop();
      this.now = top.at;
      top.item();
      // let the bridge's promise callbacks (finishMethod) run before the next event
      for (let i = 0; i < 4; i++) await Promise.resolve();
    }
  }

  /** WSP user Aborts the gateway sent with this reason (e.g. 0xe7 MOREXCEEDED). */
  abortsSent(reason: number): SimDelivery[] {
    return this.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'Abort' && d.pdu.abortType === 'user' && d.pdu.reason === reason);
  }

  /** How many times the MMSC saw a body. */
  timesSeen(body: Buffer): number {
    const h = sha(body);
    return this.mmsc.filter((r) => r.body === h).length;
  }
}
