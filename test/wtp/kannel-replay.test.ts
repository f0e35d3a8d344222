// Golden conversations: the handset side of the Kannel captures (fakewap; test/fixtures/wtp/kannel)
// replayed into the responder. With Kannel's SAR tuning (1400-octet segments, groups of 3) and the
// same WSP replies, every datagram we answer must equal, byte for byte, what Kannel's wapbox sent,
// except for one addition of ours: the first Invoke from an unknown initiator is verified with
// Ack(TIDve) (answered here with fakewap's Ack(TIDok), `1c 00 01`), which Kannel skips.
import t from 'tap';
import { wtpReporter } from '../../src/edge/wtp-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWtp, encodeWtp } from '../../src/codec/wtp';
import type { WtpPdu } from '../../src/codec/wtp/types';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { WtpResponder, type WtpAction } from '../../src/wtp';
import { v4 } from '../helpers/peer';

const FAKEWAP_PEER = v4('127.0.0.1:40000');

const DIR = join(__dirname, '..', 'fixtures', 'wtp', 'kannel');
const GW = 9201;

function frames(name: string): Array<{ frame: number; fromGw: boolean; buf: Buffer }> {
  return readFileSync(join(DIR, `${name}.payloads.csv`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .filter((c) => c.length === 4 && /^\d+$/.test(c[0] as string))
    .map(([f, src, , hex]) => ({ frame: Number(f), fromGw: Number(src) === GW, buf: Buffer.from(hex as string, 'hex') }));
}

/** Kannel's Result for a TID, reassembled from its Result / Segmented Result packets. */
function kannelResult(fs: ReturnType<typeof frames>, tid: number): Buffer {
  const parts = new Map<number, Buffer>();
  for (const f of fs.filter((x) => x.fromGw)) {
    const p = decodeWtp(f.buf);
    if ((p.tid & 0x7fff) !== tid) continue;
    if (p.type === 'Result') parts.set(0, p.data);
    if (p.type === 'SegmentedResult') parts.set(p.psn, p.data);
  }
  return Buffer.concat([...parts.keys()].sort((a, b) => a - b).map((k) => parts.get(k) as Buffer));
}

for (const name of ['co-get', 'co-post-mms-1k', 'co-get-sar-20k', 'co-post-sar-30k']) {
  t.test(`${name}: byte-identical answers`, async (t) => {
    const fs = frames(name);
    const cfg = configSchema.parse({ wtp: { sar: { segmentSize: 1400, groupSize: 3 } } });
    const r = new WtpResponder({ config: cfg, report: wtpReporter(new Metrics(), silentLogger()) });
    const ours: string[] = [];
    const requests: Buffer[] = [];
    let verifications = 0;
    const handle = (as: WtpAction[]) => {
      for (const a of as) {
        if (a.kind === 'send') {
          for (const p of a.pdus) {
            if (p.type === 'Ack' && p.tveTok) {
              verifications++;
              handle(r.receive(decodeWtp(Buffer.from([0x1c, p.tid >> 8 & 0x7f, p.tid & 0xff])), FAKEWAP_PEER, 0));
            } else ours.push(encodeWtp(p).toString('hex'));
          }
        } else if (a.kind === 'TR-Invoke.ind') {
          requests.push(a.data);
          if (a.tcl === 2) {
            handle(r.invokeRes(a.txn, 0));
            handle(r.resultReq(a.txn, kannelResult(fs, a.tid), 0));
          }
        }
      }
    };
    for (const f of fs) if (!f.fromGw) handle(r.receive(decodeWtp(f.buf) as WtpPdu, FAKEWAP_PEER, 0));
    // Retransmissions (RID) are timer-driven and this replay does not advance time: in
    // co-post-mms-1k fakewap takes Kannel's first Result for the Invoke's Ack and only acks the
    // copy Kannel resends 7 s later (timer R).
    const theirs = fs.filter((f) => f.fromGw && !(f.buf[0]! & 0x01 && decodeWtp(f.buf).type === 'Result')).map((f) => f.buf.toString('hex'));
    t.same(ours, theirs, 'every gateway datagram equals Kannel\'s');
    t.equal(verifications, 1, 'one TID verification (the first Invoke), our addition');
    t.equal(requests.length, 3, 'Connect, the method, Disconnect');
    if (name === 'co-post-sar-30k') {
      const handset = fs.filter((f) => !f.fromGw).map((f) => decodeWtp(f.buf));
      const segs = handset.filter((p) => (p.tid & 0x7fff) === 2 && ((p.type === 'Invoke' && p.tcl === 2) || p.type === 'SegmentedInvoke')) as Array<{ data: Buffer }>;
      t.same(requests[1], Buffer.concat(segs.map((s) => s.data)), 'the 30 KB POST reassembled whole');
      t.equal(requests[1]?.length, 30120, '1320 + 24 x 1200 octets, as tshark reassembled it');
    }
  });
}
