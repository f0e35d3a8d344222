// Property test: random PDU sequences from several peers, random user calls and random time
// steps never throw, keep the tables within their bounds, never indicate a transaction twice
// while it lives, and never send an unverified peer more octets than it sent (anti-amplification).
import t from 'tap';
import { wtpReporter } from '../../src/edge/wtp-report';
import fc from 'fast-check';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import type { WtpPdu } from '../../src/codec/wtp/types';
import { WtpResponder, type TxId, type WtpAction } from '../../src/wtp';
import { pduSize } from '../../src/wtp/wire-size';
import { v4 } from '../helpers/peer';
import { peerKey } from '../../src/core/peer';

const PEERS = ['10.0.0.1:1', '10.0.0.2:2', '10.0.0.3:3'];
const PEER_OF = new Map(PEERS.map((k) => [k, v4(k)]));
const tid = fc.integer({ min: 0, max: 6 });
const data = fc.integer({ min: 0, max: 3000 }).map((n) => Buffer.alloc(n, 0x61));
const pdu: fc.Arbitrary<WtpPdu> = fc.oneof(
  fc.record({ tid, gtr: fc.boolean(), ttr: fc.oneof(fc.constant(true), fc.boolean()), rid: fc.boolean(), tidNew: fc.boolean(), up: fc.boolean(), tcl: fc.constantFrom(0 as const, 1 as const, 2 as const, 2 as const), data })
    .map((p) => ({ type: 'Invoke' as const, tpis: [], version: 0, ...p })),
  fc.record({ tid, gtr: fc.boolean(), ttr: fc.boolean(), rid: fc.boolean(), psn: fc.integer({ min: 1, max: 8 }), data })
    .map((p) => ({ type: 'SegmentedInvoke' as const, tpis: [], ...p })),
  fc.record({ tid, tveTok: fc.boolean(), rid: fc.boolean(), psn: fc.option(fc.integer({ min: 0, max: 10 })) })
    .map(({ psn, ...p }) => ({ type: 'Ack' as const, tpis: psn === null ? [] : [{ tpi: 'PSN' as const, psn }], ...p })),
  fc.record({ tid, missing: fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 4 }) }).map((p) => ({ type: 'NegativeAck' as const, tpis: [], rid: false, ...p })),
  fc.record({ tid, reason: fc.integer({ min: 0, max: 255 }) }).map((p) => ({ type: 'Abort' as const, tpis: [], abortType: 'provider' as const, ...p })),
);

type Step =
  | { k: 'pdu'; peer: number; pdu: WtpPdu }
  | { k: 'user'; op: 'res' | 'result' | 'abort'; which: number; size: number }
  | { k: 'time'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('pdu' as const), peer: fc.integer({ min: 0, max: 2 }), pdu }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('user' as const), op: fc.constantFrom('res' as const, 'result' as const, 'abort' as const), which: fc.nat(), size: fc.integer({ min: 0, max: 30_000 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
);

t.test('random traffic: total, bounded, once, no amplification', async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 30, maxLength: 90 }), fc.boolean(), (steps, verification) => {
      const cfg = configSchema.parse({ wtp: { maxTransactions: 8, tidVerification: verification, sar: { segmentSize: 500, groupSize: 3 } }, wsp: { maxMessageSize: 6000 } });
      const r = new WtpResponder({ config: cfg, report: wtpReporter(new Metrics(), silentLogger()) });
      let now = 0;
      const open = new Set<TxId>(); // indicated, not yet finished
      const txIds: TxId[] = [];
      const rx = new Map<string, number>();
      const tx = new Map<string, number>();
      const verified = new Set<string>();
      const handle = (as: WtpAction[]) => {
        for (const a of as) {
          if (a.kind === 'send') tx.set(peerKey(a.peer), (tx.get(peerKey(a.peer)) ?? 0) + a.pdus.reduce((n, p) => n + pduSize(p), 0));
          if (a.kind === 'TR-Invoke.ind' && a.tcl !== 0) {
            if (open.has(a.txn)) throw new Error(`${a.txn} indicated twice while open`);
            open.add(a.txn);
            txIds.push(a.txn);
          }
          if (a.kind === 'TR-Result.cnf' || a.kind === 'TR-Abort.ind') open.delete(a.txn);
        }
      };
      for (const s of steps) {
        // A transaction is over once it is forgotten or finished (WAIT_TIMEOUT).
        for (const id of open) if (r.stateOf(id) === undefined || r.stateOf(id) === 'WAIT_TIMEOUT') open.delete(id);
        if (s.k === 'pdu') {
          const peer = PEERS[s.peer] as string;
          if (s.pdu.type === 'Ack' && s.pdu.tveTok) verified.add(peer);
          rx.set(peer, (rx.get(peer) ?? 0) + pduSize(s.pdu));
          handle(r.receive(s.pdu, PEER_OF.get(peer)!, now));
        } else if (s.k === 'user' && txIds.length) {
          const id = txIds[s.which % txIds.length] as TxId;
          if (s.op === 'res') handle(r.invokeRes(id, now));
          else if (s.op === 'result') handle(r.resultReq(id, Buffer.alloc(s.size), now));
          else handle(r.abortReq(id, 0xe0, now));
        } else if (s.k === 'time') {
          now += s.ms;
          handle(r.tick(now));
        }
        if (r.size > 8) throw new Error('table over its bound');
        if (r.peerNumbers > r.size) throw new Error('more peer numbers than transactions held');
        const d = r.nextDeadline();
        if (d !== undefined && !(d >= 0)) throw new Error('bad deadline');
        for (const p of PEERS) {
          if (!verified.has(p) && (tx.get(p) ?? 0) > (rx.get(p) ?? 0)) throw new Error(`amplification toward ${p}: ${tx.get(p)} > ${rx.get(p)}`);
        }
      }
      runs++;
    }),
    { numRuns: 150, seed: 7 },
  );
  t.equal(runs, 150);
});
