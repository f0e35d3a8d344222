/**
 * tshark cross-check of the WTP encoder: every PDU kind (both directions, TPIs in short and long
 * form, a concatenated datagram, a segmented message tshark reassembles), encoded by us, sent
 * as UDP to/from port 9201 in one pcap, decoded by tshark. Asserts no malformed packet or expert
 * error, and that tshark's wtp.* fields equal the values we encoded. Skips without tshark.
 */
import t from 'tap';
import { type WtpPdu, decodeDatagram, encodeDatagram } from '../../src/codec/wtp';
import { Writer } from '../../src/codec/bytes';
import { type TsharkField, hasTshark, tsharkUdp } from '../helpers/tshark';
import { needTool } from '../helpers/peer-tool';

const HANDSET = 40000;
const WTP_PORT = 9201;

/** a raw minimal WSP Get: 40 <uintvar len> <uri> */
const wspGet = (uri: string) => new Writer().u8(0x40).uintvar(uri.length).bytes(Buffer.from(uri)).toBuffer();
/** WSP Reply 200, Content-Type text/plain (0x83), body */
const wspReply = (body: string) => Buffer.concat([Buffer.from([0x04, 0x20, 0x01, 0x83]), Buffer.from(body)]);
/** WSP Post: 60 UriLen HdrLen Uri ContentType(application/octet-stream? here text/plain 0x83) Body */
const wspPost = (uri: string, body: Buffer) =>
  new Writer().u8(0x60).uintvar(uri.length).uintvar(1).bytes(Buffer.from(uri)).u8(0x83).bytes(body).toBuffer();

interface Case {
  name: string;
  /** true: handset -> 9201 (initiator), false: 9201 -> handset (responder) */
  fromHandset: boolean;
  pdus: WtpPdu[];
  concatenate?: boolean;
  /** extra fields tshark must show, checked on the whole frame */
  extra?: Record<string, string[]>;
}

const base = { gtr: false, ttr: true, rid: false, tpis: [] };
const inv = { ...base, version: 0, tidNew: false, up: true, tcl: 2 as const };

const postBody = Buffer.alloc(2500, 0x61);
const post = wspPost('http://mmsc/', postBody);
const seg1 = post.subarray(0, 1000);
const seg2 = post.subarray(1000, 2000);
const seg3 = post.subarray(2000);

const cases: Case[] = [
  { name: 'Invoke class 2 with a WSP Get', fromHandset: true, pdus: [{ type: 'Invoke', tid: 0x0101, ...inv, data: wspGet('http://x.y/a') }], extra: { 'wsp.uri': ['http://x.y/a'] } },
  { name: 'Invoke class 0, TIDnew, RID, U/P 0', fromHandset: true, pdus: [{ type: 'Invoke', tid: 0x0102, ...inv, rid: true, gtr: true, tidNew: true, up: false, tcl: 0, data: Buffer.from([0x05, 0x00]) }] },
  { name: 'Invoke class 1 with Info, Option (MRU) and long PSN TPIs', fromHandset: true,
    pdus: [{ type: 'Invoke', tid: 0x0103, ...inv, tcl: 1,
      tpis: [{ tpi: 'Info', data: Buffer.from('abc') }, { tpi: 'Option', option: 1, value: Buffer.from([0x05, 0x78]) }, { tpi: 'Option', option: 2, value: Buffer.from([0, 4, 0x93, 0xe0]), long: true }, { tpi: 'PSN', psn: 0, long: true }],
      data: wspGet('http://x.y/b') }], extra: { 'wsp.uri': ['http://x.y/b'] } },
  { name: 'Invoke with SDU boundary, Frame boundary, Error and unknown TPIs', fromHandset: true,
    pdus: [{ type: 'Invoke', tid: 0x0104, ...inv,
      tpis: [{ tpi: 'SDUBoundary' }, { tpi: 'FrameBoundary' }, { tpi: 'Error', badTpi: 0x13, data: Buffer.alloc(0) }, { tpi: 'Unknown', id: 9, data: Buffer.from([1]) }],
      data: wspGet('http://x.y/c') }], extra: { 'wsp.uri': ['http://x.y/c'] } },
  { name: 'Result holding a WSP Reply', fromHandset: false, pdus: [{ type: 'Result', tid: 0x8101, ...base, data: wspReply('hello') }], extra: { 'wsp.reply.status': ['0x20'] } },
  { name: 'Result, retransmitted, with a PSN TPI', fromHandset: false, pdus: [{ type: 'Result', tid: 0x8102, ...base, rid: true, tpis: [{ tpi: 'PSN', psn: 0 }], data: wspReply('x') }] },
  { name: 'Ack from the initiator', fromHandset: true, pdus: [{ type: 'Ack', tid: 0x0101, tveTok: false, rid: false, tpis: [] }] },
  { name: 'Ack Tve from the responder', fromHandset: false, pdus: [{ type: 'Ack', tid: 0x8105, tveTok: true, rid: false, tpis: [] }] },
  { name: 'Ack Tok from the initiator, retransmitted', fromHandset: true, pdus: [{ type: 'Ack', tid: 0x0105, tveTok: true, rid: true, tpis: [] }] },
  { name: 'group Ack with PSN TPI', fromHandset: false, pdus: [{ type: 'Ack', tid: 0x8106, tveTok: false, rid: false, tpis: [{ tpi: 'PSN', psn: 7 }] }] },
  { name: 'provider Abort INVALIDTID from the initiator', fromHandset: true, pdus: [{ type: 'Abort', tid: 0x0105, abortType: 'provider', reason: 2, tpis: [] }] },
  { name: 'provider Abort MESSAGETOOLARGE from the responder', fromHandset: false, pdus: [{ type: 'Abort', tid: 0x8107, abortType: 'provider', reason: 9, tpis: [] }] },
  { name: 'user Abort DISCONNECT', fromHandset: false, pdus: [{ type: 'Abort', tid: 0x8108, abortType: 'user', reason: 0xe1, tpis: [] }] },
  { name: 'Segmented Result, end of group', fromHandset: false, pdus: [{ type: 'SegmentedResult', tid: 0x8109, gtr: true, ttr: false, rid: false, psn: 4, tpis: [], data: Buffer.alloc(100, 0x7a) }] },
  { name: 'Segmented Invoke, last packet, retransmitted', fromHandset: true, pdus: [{ type: 'SegmentedInvoke', tid: 0x010a, gtr: false, ttr: true, rid: true, psn: 9, tpis: [], data: Buffer.alloc(50, 0x7a) }] },
  { name: 'Negative Ack from the responder', fromHandset: false, pdus: [{ type: 'NegativeAck', tid: 0x810b, rid: false, missing: [3, 5, 7], tpis: [] }] },
  { name: 'Negative Ack from the initiator, retransmitted, empty list', fromHandset: true, pdus: [{ type: 'NegativeAck', tid: 0x010c, rid: true, missing: [], tpis: [] }] },
  { name: 'concatenated Ack + Result (one short, one two-octet length)', fromHandset: false, concatenate: true,
    pdus: [{ type: 'Ack', tid: 0x810d, tveTok: false, rid: false, tpis: [] }, { type: 'Result', tid: 0x810e, ...base, data: wspReply('y'.repeat(200)) }] },
  // a segmented WSP Post that tshark reassembles from three packets
  { name: 'segmented message 1/3: Invoke, GTR TTR 0', fromHandset: true, pdus: [{ type: 'Invoke', tid: 0x0120, ...inv, ttr: false, data: seg1 }] },
  { name: 'segmented message 2/3: Segmented Invoke PSN 1, GTR', fromHandset: true, pdus: [{ type: 'SegmentedInvoke', tid: 0x0120, gtr: true, ttr: false, rid: false, psn: 1, tpis: [], data: seg2 }] },
  { name: 'segmented message 3/3: Segmented Invoke PSN 2, TTR', fromHandset: true, pdus: [{ type: 'SegmentedInvoke', tid: 0x0120, gtr: false, ttr: true, rid: false, psn: 2, tpis: [], data: seg3 }],
    extra: { 'wsp.uri': ['http://mmsc/'], 'wtp.reassembled.length': [String(post.length)] } },
];

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const b = (x: boolean) => (x ? '1' : '0');
const CODE = { Invoke: 1, Result: 2, Ack: 3, Abort: 4, SegmentedInvoke: 5, SegmentedResult: 6, NegativeAck: 7 } as const;

/** The wtp.* fields tshark must show for one PDU, in tshark's own spelling. */
function expected(p: WtpPdu): Record<string, string[]> {
  const e: Record<string, string[]> = {
    'wtp.continue_flag': [b(p.tpis.length > 0)],
    'wtp.pdu_type': [hex2(CODE[p.type])],
    'wtp.TID': [`0x${(p.tid & 0x7fff).toString(16).padStart(4, '0')}`],
    'wtp.TID.response': [b((p.tid & 0x8000) !== 0)],
  };
  if ('gtr' in p) e['wtp.trailer_flags'] = [hex2((p.gtr ? 2 : 0) + (p.ttr ? 1 : 0))];
  if ('rid' in p) e['wtp.RID'] = [b(p.rid)];
  switch (p.type) {
    case 'Invoke':
      Object.assign(e, {
        'wtp.header.version': [hex2(p.version)],
        'wtp.header.TIDNew': [b(p.tidNew)],
        'wtp.header.UP': [b(p.up)],
        'wtp.inv.transaction_class': [hex2(p.tcl)],
      });
      break;
    case 'Ack':
      e['wtp.ack.tvetok'] = [b(p.tveTok)];
      break;
    case 'Abort':
      e['wtp.abort.type'] = [hex2(p.abortType === 'user' ? 1 : 0)];
      e[p.abortType === 'user' ? 'wtp.abort.reason.user' : 'wtp.abort.reason.provider'] = [hex2(p.reason)];
      break;
    case 'SegmentedInvoke':
    case 'SegmentedResult':
      e['wtp.header.sequence'] = [String(p.psn)];
      break;
    case 'NegativeAck':
      e['wtp.header.missing_packets'] = [String(p.missing.length)];
      e['wtp.header.sequence'] = p.missing.map(String);
      break;
  }
  const ids = { Error: 0, Info: 1, Option: 2, PSN: 3, SDUBoundary: 4, FrameBoundary: 5 } as const;
  e['wtp.tpi'] = p.tpis.map((x) => hex2(x.tpi === 'Unknown' ? x.id : ids[x.tpi]));
  e['wtp.tpi.psn'] = p.tpis.flatMap((x) => (x.tpi === 'PSN' ? [String(x.psn)] : []));
  e['wtp.tpi.opt'] = p.tpis.flatMap((x) => (x.tpi === 'Option' ? [hex2(x.option)] : []));
  return e;
}

/** Splits a frame's wtp fields into one list per PDU (a new PDU starts at each wtp.continue_flag). */
function perPdu(fields: TsharkField[]): TsharkField[][] {
  const out: TsharkField[][] = [];
  for (const f of fields) {
    if (f.proto !== 'wtp' || f.name === 'wtp.sub_pdu_size') continue;
    if (f.name === 'wtp.continue_flag') out.push([]);
    out[out.length - 1]?.push(f);
  }
  return out;
}

t.test('tshark decodes every WTP PDU we encode, with the same values', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const datagrams = cases.map((c) => encodeDatagram(c.pdus, { concatenate: c.concatenate }));
  const frames = tsharkUdp(
    datagrams.map((payload, i) => {
      const c = cases[i] as Case;
      return c.fromHandset ? { srcPort: HANDSET, dstPort: WTP_PORT, payload } : { srcPort: WTP_PORT, dstPort: HANDSET, payload };
    }),
  );
  t.equal(frames.length, cases.length, 'one frame per datagram');
  cases.forEach((c, i) => {
    const f = frames[i];
    if (!f) return;
    t.test(c.name, async (t) => {
      t.same(f.errors, [], 'no malformed packet, no expert error');
      t.ok(f.protocols.includes('wtp'), 'dissected as WTP');
      t.same(decodeDatagram(datagrams[i] as Buffer), c.pdus, 'and we decode our own bytes back');
      const pdus = perPdu(f.fields);
      t.equal(pdus.length, c.pdus.length, 'PDU count');
      c.pdus.forEach((p, j) => {
        const theirs = pdus[j] ?? [];
        for (const [name, want] of Object.entries(expected(p))) {
          t.same(theirs.filter((x) => x.name === name).map((x) => x.show), want, `${p.type} ${name}`);
        }
      });
      if (c.concatenate) t.same(f.all('wtp.sub_pdu_size'), datagramSizes(datagrams[i] as Buffer), 'sub-PDU sizes');
      for (const [name, want] of Object.entries(c.extra ?? {})) t.same(f.all(name), want, name);
    });
  });
});

function datagramSizes(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 1;
  while (i < buf.length) {
    const o = buf[i] as number;
    const len = o & 0x80 ? ((o & 0x7f) << 8) | (buf[i + 1] as number) : o;
    out.push(String(len));
    i += (o & 0x80 ? 2 : 1) + len;
  }
  return out;
}

t.test('the harness itself reports malformed packets', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const [bad, good] = tsharkUdp([
    { srcPort: HANDSET, dstPort: WTP_PORT, payload: Buffer.from([0x0a, 0x00]) },
    { srcPort: HANDSET, dstPort: WTP_PORT, payload: Buffer.from([0x18, 0x00, 0x01]) },
  ]);
  t.ok(bad?.malformed, 'a cut Invoke is malformed for tshark');
  t.not(bad?.errors.length, 0);
  t.same(good?.errors, []);
  t.equal(good?.get('wtp.pdu_type'), '0x03');
});
