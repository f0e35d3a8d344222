/**
 * The whole connection-oriented WSP stack (WspServer over the real WTP responder and the real
 * WSP codec, src/wsp + src/wtp) joined to test handsets by a simulated lossy link, in simulated
 * time: the WSP counterpart of lossy-link.ts's Pair. The MMSC is a stand-in bridge that records
 * every request and answers after `mmscDelayMs` of simulated time.
 *
 * `Mor1Client` is a WAP-224 class 2 initiator with WSP on top, the handset of issue 15: the
 * default Method-MOR of 1, no capabilities proposed; it sends each method as soon as the
 * previous Result is acknowledged, retransmits an Invoke with RID until a Result or hold-on Ack
 * arrives, answers Ack(TIDve) with Ack(TIDok) only for a transaction it has open (Abort
 * INVALIDTID otherwise), and acknowledges again a Result it has already received.
 */
import { createHash } from 'node:crypto';
import { decodeWtp, encodeWtp } from '../../src/codec/wtp';
import type { WtpPdu } from '../../src/codec/wtp/types';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import type { MethodReply, MethodRequest } from '../../src/bridge/bridge';
import type { Peer } from '../../src/edge/udp-bearer';
import { createWspCodec, createWtpPort } from '../../src/wsp/adapters';
import { WspServer } from '../../src/wsp/server';
import { TimerHeap } from '../../src/wtp/timer-heap';
import { Handset, PERFECT, Rng, type HandsetHost, type HandsetTx, type LinkConfig } from './lossy-link';
import { disconnectPdu, postPdu } from './wsp-handset';

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
      wtp: createWtpPort({ config: this.config, metrics: this.metrics, logger }),
      codec: createWspCodec(),
      bridge: { handle: (req) => this.handle(req) },
      metrics: this.metrics,
      logger,
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

  private handle(req: MethodRequest): Promise<MethodReply> {
    this.mmsc.push({ method: req.method, uri: req.uri, body: sha(req.body), at: this.now });
    return new Promise((resolve) =>
      this.schedule(this.now + this.mmscDelayMs, () =>
        resolve({ status: 200, contentType: 'application/vnd.wap.mms-message', headers: [], body: Buffer.from('ok') } as MethodReply),
      ),
    );
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

export interface Outcome {
  what: 'connect' | 'post';
  tid: number;
  phase: HandsetTx['phase'];
  status?: number;
  abortReason?: number;
}

/** The issue 15 handset: Connect, POSTs one after another at once, Disconnect. */
export class Mor1Client {
  readonly outcomes: Outcome[] = [];
  sessionId: number | undefined;
  finished = false;
  readonly bodies: Buffer[];
  private next = 0;
  current: HandsetTx | undefined;
  /** Called after each finished transaction, before the next is sent (tests inject events here). */
  onStep: ((o: Outcome) => void) | undefined;

  constructor(
    readonly handset: Handset,
    private readonly url: string,
    posts: number,
    private readonly opts: { connectCaps?: Buffer[]; bodySize?: number; disconnect?: boolean; tag?: string } = {},
  ) {
    const size = opts.bodySize ?? 600;
    this.bodies = Array.from({ length: posts }, (_, i) => {
      const b = Buffer.alloc(size, 0x61 + (i % 26));
      b.write(`${opts.tag ?? handset.peer}#${i}`);
      return b;
    });
    handset.onFinish = (tx) => this.finishedTx(tx);
  }

  private connecting = false;

  start(): void {
    this.connecting = true;
    // no capabilities proposed (Method-MOR stays 1), no headers, unless a test adds some
    const caps = Buffer.concat(this.opts.connectCaps ?? []);
    this.current = this.handset.invoke(Buffer.concat([Buffer.from([0x01, 0x10, caps.length, 0x00]), caps]));
  }

  private finishedTx(tx: HandsetTx): void {
    if (tx !== this.current) return;
    const isConnect = this.connecting;
    this.connecting = false;
    const o: Outcome = { what: isConnect ? 'connect' : 'post', tid: tx.tid, phase: tx.phase };
    if (tx.abort) o.abortReason = tx.abort.reason;
    if (tx.phase === 'done' && tx.result) {
      if (isConnect && tx.result[0] === 0x02) this.sessionId = readUintvar(tx.result, 1);
      if (!isConnect && tx.result[0] === 0x04) o.status = wspStatus(tx.result[1] as number);
    }
    this.outcomes.push(o);
    this.onStep?.(o);
    if (isConnect && this.sessionId === undefined) {
      this.finished = true;
      return;
    }
    if (this.next < this.bodies.length) {
      const body = this.bodies[this.next++] as Buffer;
      this.current = this.handset.invoke(postPdu(this.url, 'application/vnd.wap.mms-message', body));
      return;
    }
    if (this.opts.disconnect !== false) this.handset.invoke(disconnectPdu(this.sessionId ?? 0), { tcl: 0 });
    this.current = undefined;
    this.finished = true;
  }

  get posts(): Outcome[] {
    return this.outcomes.filter((o) => o.what === 'post');
  }
  get answered(): number {
    return this.posts.filter((o) => o.status === 200).length;
  }
}

function readUintvar(b: Buffer, at: number): number {
  let v = 0;
  for (let i = at; i < b.length; i++) {
    v = v * 128 + ((b[i] as number) & 0x7f);
    if (((b[i] as number) & 0x80) === 0) return v;
  }
  return v;
}

/** WSP status code (WAP-230 Table 36) to HTTP, for the few a test looks at. */
function wspStatus(code: number): number {
  if (code === 0x20) return 200;
  return code >= 0x60 ? 500 + (code - 0x60) : (code >> 4) * 100 + (code & 0x0f);
}
