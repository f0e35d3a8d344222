/**
 * A small TypeScript handset for integration tests: a WTP initiator (WAP-224) with SAR both
 * ways and the few WSP PDUs a handset sends (Connect, Get, Post, Disconnect, Suspend, Resume,
 * connectionless Get/Post), over a real UDP socket. Deliberately simple: fixed timers, no TID
 * cache. It can retransmit on purpose (to prove duplicate detection) and abort a method.
 */
import dgram from 'node:dgram';
import { decodeWtp, encodeWtp } from '../../src/codec/wtp/codec';
import type { WtpPdu } from '../../src/codec/wtp/types';

const uintvar = (n: number): Buffer => {
  const out = [n & 0x7f];
  n = Math.floor(n / 128);
  while (n > 0) {
    out.unshift((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  return Buffer.from(out);
};
const readUintvar = (b: Buffer, at: number): [number, number] => {
  let v = 0;
  for (let i = at; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) return [v, i + 1];
  }
  throw new Error('bad uintvar');
};

export interface Reply {
  status: number;
  /** Raw header block (content type first). */
  headers: Buffer;
  body: Buffer;
  raw: Buffer;
}

export function parseReply(b: Buffer): Reply {
  if (b[0] !== 0x04) throw new Error(`not a Reply: 0x${b[0]?.toString(16)}`);
  const wsp = b[1]!;
  const [hl, at] = readUintvar(b, 2);
  const status = wsp >= 0x60 ? 500 + (wsp - 0x60) : (wsp >> 4) * 100 + (wsp & 0x0f) + (wsp >= 0x50 && wsp < 0x60 ? 0 : 0);
  const fix = wsp === 0x50 ? 416 : wsp === 0x51 ? 417 : status;
  return { status: fix, headers: b.subarray(at, at + hl), body: b.subarray(at + hl), raw: b };
}

/** Connect PDU: version 1.0, caps Client/Server-SDU-Size, headers (User-Agent text). */
export function connectPdu(clientSdu = 1048576, extraCaps: Buffer[] = [], headers: Buffer = Buffer.concat([Buffer.from([0xa9]), Buffer.from('ts-handset\0')])): Buffer {
  const cap = (id: number, v: Buffer) => Buffer.concat([uintvar(v.length + 1), Buffer.from([0x80 | id]), v]);
  const caps = Buffer.concat([cap(0, uintvar(clientSdu)), cap(1, uintvar(clientSdu)), ...extraCaps]);
  return Buffer.concat([Buffer.from([0x01, 0x10]), uintvar(caps.length), uintvar(headers.length), caps, headers]);
}

export const getPdu = (url: string, headers = Buffer.from([0x80, 0x80])): Buffer =>
  Buffer.concat([Buffer.from([0x40]), uintvar(url.length), Buffer.from(url, 'latin1'), headers]);

/** Post with a text content type (and optional extra encoded headers). */
export function postPdu(url: string, contentType: string, body: Buffer, extra = Buffer.alloc(0)): Buffer {
  const ct = Buffer.from(`${contentType}\0`, 'latin1');
  const hdrs = Buffer.concat([ct, extra]);
  return Buffer.concat([Buffer.from([0x60]), uintvar(url.length), uintvar(hdrs.length), Buffer.from(url, 'latin1'), hdrs, body]);
}

export const disconnectPdu = (sid: number) => Buffer.concat([Buffer.from([0x05]), uintvar(sid)]);
export const suspendPdu = (sid: number) => Buffer.concat([Buffer.from([0x08]), uintvar(sid)]);
export const resumePdu = (sid: number) => Buffer.concat([Buffer.from([0x09]), uintvar(sid), uintvar(0)]);

export interface HandsetOptions {
  host?: string;
  port: number;
  segmentSize?: number;
  groupSize?: number;
  timeoutMs?: number;
}

export class Handset {
  readonly sock: dgram.Socket;
  private tid = 0;
  private readonly inbox: Buffer[] = [];
  private waiters: Array<() => void> = [];
  readonly sent: Buffer[] = [];
  sessionId: number | undefined;
  private readonly o: Required<HandsetOptions>;

  constructor(o: HandsetOptions) {
    this.o = { host: '127.0.0.1', segmentSize: 1200, groupSize: 4, timeoutMs: 3000, ...o };
    this.sock = dgram.createSocket('udp4');
    this.sock.on('message', (m) => {
      this.inbox.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Binds an ephemeral port on `local` (any 127.0.0.0/8 address works on Linux). */
  async open(local = '127.0.0.1'): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, local, r));
  }
  close(): void {
    try {
      this.sock.close();
    } catch {
      /* closed */
    }
  }
  get localPort(): number {
    return this.sock.address().port;
  }

  nextTid(): number {
    this.tid = (this.tid + 1) & 0x7fff;
    return this.tid;
  }

  sendRaw(b: Buffer, port = this.o.port): void {
    this.sent.push(b);
    this.sock.send(b, port, this.o.host);
  }
  send(p: WtpPdu): void {
    this.sendRaw(encodeWtp(p));
  }

  /** Next datagram matching `pred` (others stay queued for later calls). */
  async recv(pred: (b: Buffer) => boolean = () => true, ms = this.o.timeoutMs): Promise<Buffer> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('handset: timeout waiting for a datagram');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async recvPdu(tid: number, ms?: number): Promise<WtpPdu> {
    const b = await this.recv((x) => {
      try {
        return (decodeWtp(x).tid & 0x7fff) === tid;
      } catch {
        return false;
      }
    }, ms);
    return decodeWtp(b);
  }

  drain(): Buffer[] {
    return this.inbox.splice(0);
  }

  invoke(tid: number, data: Buffer, tcl: 0 | 1 | 2 = 2, opts: { rid?: boolean; gtr?: boolean; ttr?: boolean } = {}): void {
    this.send({ type: 'Invoke', tid, tpis: [], gtr: opts.gtr ?? false, ttr: opts.ttr ?? true, rid: opts.rid ?? false, version: 0, tidNew: false, up: true, tcl, data });
  }

  ack(tid: number, psn?: number): void {
    this.send({ type: 'Ack', tid, tveTok: false, rid: false, tpis: psn === undefined ? [] : [{ tpi: 'PSN', psn }] });
  }

  abort(tid: number, reason = 0xea): void {
    this.send({ type: 'Abort', tid, abortType: 'user', reason, tpis: [] });
  }

  /**
   * A class 2 transaction: sends `data` (segmented when larger than the segment size),
   * collects the whole Result (acking groups, NAcking holes), acks it, returns the data.
   */
  async transact(data: Buffer, opts: { tid?: number; ack?: boolean } = {}): Promise<Buffer> {
    const tid = opts.tid ?? this.nextTid();
    const seg = this.o.segmentSize;
    if (data.length <= seg) {
      this.invoke(tid, data);
    } else {
      const parts: Buffer[] = [];
      for (let i = 0; i < data.length; i += seg) parts.push(data.subarray(i, i + seg));
      // group 0 is the Invoke alone (as fakewap does), then groups of groupSize
      this.invoke(tid, parts[0]!, 2, { gtr: true, ttr: false });
      await this.waitAck(tid, 0);
      let psn = 1;
      while (psn < parts.length) {
        const end = Math.min(parts.length, psn + this.o.groupSize);
        for (let p = psn; p < end; p++) {
          const last = p === parts.length - 1;
          this.send({ type: 'SegmentedInvoke', tid, tpis: [], gtr: !last && p === end - 1, ttr: last, rid: false, psn: p, data: parts[p]! });
        }
        if (end < parts.length) await this.waitAck(tid, end - 1);
        psn = end;
      }
    }
    return this.collectResult(tid, opts.ack ?? true);
  }

  /** Answers a TID verification (Ack with TIDve) with Ack(TIDok); true when it was one. */
  private verify(p: WtpPdu): boolean {
    if (p.type === 'Ack' && p.tveTok) {
      this.send({ type: 'Ack', tid: p.tid & 0x7fff, tveTok: true, rid: false, tpis: [] });
      return true;
    }
    return false;
  }

  private async waitAck(tid: number, psn: number): Promise<void> {
    for (;;) {
      const p = await this.recvPdu(tid);
      if (this.verify(p)) continue;
      if (p.type === 'Ack') {
        if (psn === 0) return;
        const t = p.tpis.find((x) => x.tpi === 'PSN');
        if (t && t.tpi === 'PSN' && t.psn === psn) return;
      }
      if (p.type === 'Abort') throw new Error(`aborted: 0x${p.reason.toString(16)}`);
    }
  }

  async collectResult(tid: number, ack = true, ms?: number): Promise<Buffer> {
    const segs: Buffer[] = [];
    let ttr = -1;
    for (;;) {
      const p = await this.recvPdu(tid, ms);
      if (p.type === 'Abort') throw Object.assign(new Error(`aborted: 0x${p.reason.toString(16)}`), { reason: p.reason });
      if (this.verify(p)) continue;
      if (p.type === 'Ack') continue; // hold-on Ack
      if (p.type !== 'Result' && p.type !== 'SegmentedResult') continue;
      const psn = p.type === 'Result' ? 0 : p.psn;
      segs[psn] = p.data;
      if (p.ttr) ttr = psn;
      if (p.gtr || p.ttr) {
        const upto = p.ttr ? psn : psn;
        const holes: number[] = [];
        for (let i = 0; i <= upto; i++) if (!segs[i]) holes.push(i);
        if (holes.length) {
          this.send({ type: 'NegativeAck', tid, rid: false, missing: holes, tpis: [] });
          continue;
        }
        if (ttr >= 0) {
          if (ack) this.ack(tid, psn === 0 ? undefined : psn);
          return Buffer.concat(segs as Buffer[]);
        }
        this.ack(tid, psn);
      }
    }
  }

  async connect(clientSdu?: number): Promise<{ sessionId: number; raw: Buffer }> {
    const r = await this.transact(connectPdu(clientSdu));
    if (r[0] !== 0x02) throw new Error(`expected ConnectReply, got 0x${r[0]?.toString(16)}`);
    const [sid] = readUintvar(r, 1);
    this.sessionId = sid;
    return { sessionId: sid, raw: r };
  }

  async get(url: string): Promise<Reply> {
    return parseReply(await this.transact(getPdu(url)));
  }

  async post(url: string, ct: string, body: Buffer): Promise<Reply> {
    return parseReply(await this.transact(postPdu(url, ct, body)));
  }

  disconnect(): void {
    this.invoke(this.nextTid(), disconnectPdu(this.sessionId ?? 0), 0);
  }
}
