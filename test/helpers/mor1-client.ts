/**
 * The handset of issue 15 as a WSP client on lossy-link.ts's WAP-224 class 2 initiator: the
 * default Method-MOR of 1, no capabilities proposed (unless a test adds some); it sends each
 * method as soon as the previous Result is acknowledged, retransmits an Invoke with RID until a
 * Result or hold-on Ack arrives, answers Ack(TIDve) with Ack(TIDok) only for a transaction it
 * has open (Abort INVALIDTID otherwise), and acknowledges again a Result it already has.
 * It runs in simulated time (wsp-sim.ts) or over UDP in real time (udp-handset.ts).
 */
import type { Handset, HandsetTx } from './lossy-link';
import { disconnectPdu, postPdu } from './wsp-handset';

export interface Outcome {
  what: 'connect' | 'post';
  tid: number;
  phase: HandsetTx['phase'];
  status?: number;
  abortReason?: number;
  /** From the Invoke to the end of the transaction, on the `clock` option (ms). */
  ms?: number;
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
    private readonly opts: { connectCaps?: Buffer[]; bodySize?: number; disconnect?: boolean; tag?: string; clock?: () => number } = {},
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
  private startedAt = 0;

  private send(data: Buffer): HandsetTx {
    this.startedAt = this.opts.clock?.() ?? 0;
    return this.handset.invoke(data);
  }

  start(): void {
    this.connecting = true;
    // no capabilities proposed (Method-MOR stays 1), no headers, unless a test adds some
    const caps = Buffer.concat(this.opts.connectCaps ?? []);
    this.current = this.send(Buffer.concat([Buffer.from([0x01, 0x10, caps.length, 0x00]), caps]));
  }

  private finishedTx(tx: HandsetTx): void {
    if (tx !== this.current) return;
    const isConnect = this.connecting;
    this.connecting = false;
    const o: Outcome = { what: isConnect ? 'connect' : 'post', tid: tx.tid, phase: tx.phase };
    if (this.opts.clock) o.ms = this.opts.clock() - this.startedAt;
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
      // Accept: application/vnd.wap.mms-message (WAP-230 Table 39 0x00, Table 40 0x3E): without
      // it Kannel answers 406 for an MMS reply
      this.current = this.send(postPdu(this.url, 'application/vnd.wap.mms-message', body, Buffer.from([0x80, 0xbe])));
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
