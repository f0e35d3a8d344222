/**
 * Captured traffic (test/fixtures/wtp/kannel = ../shared/interop/kannel, Kannel fakewap <-> bearerbox+wapbox, plus our own
 * recordings in test/fixtures/captures): every WTP datagram (UDP 9201 side; 9200 is
 * connectionless WSP without WTP) decodes and re-encodes to the same bytes, and the header
 * fields agree with tshark's verbose decode stored next to the capture (*.decode.txt).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type WtpPdu, decodeDatagram, encodeDatagram, isConcatenated } from '../../src/codec/wtp';

const CORPUS_DIRS = [join(__dirname, '../fixtures/wtp/kannel'), join(__dirname, '../fixtures/captures')];

interface Row {
  file: string;
  frame: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

function rows(dir: string): Row[] {
  if (!existsSync(dir)) return [];
  const out: Row[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.payloads.csv')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [frame, sp, dp, h] = line.trim().split(',');
      if (!frame || !h) continue;
      out.push({ file: join(dir, file), frame: Number(frame), srcPort: Number(sp), dstPort: Number(dp), payload: Buffer.from(h, 'hex') });
    }
  }
  return out;
}

const corpus: Row[] = CORPUS_DIRS.flatMap(rows);
const wtpRows = corpus.filter((r) => r.srcPort !== 9200 && r.dstPort !== 9200);

/** WTP header fields per frame, read from tshark's `-V` text. */
function verboseWtp(file: string): Map<number, Record<string, string>> {
  const out = new Map<number, Record<string, string>>();
  if (!existsSync(file)) return out;
  let frame = 0;
  let inWtp = false;
  let cur: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fm = /^Frame (\d+):/.exec(line);
    if (fm) {
      frame = Number(fm[1]);
      cur = {};
      out.set(frame, cur);
      inWtp = false;
      continue;
    }
    if (/^\S/.test(line)) {
      inWtp = line.startsWith('Wireless Transaction Protocol') && !('type' in cur);
      continue;
    }
    if (!inWtp) continue;
    const m = /^\s+(?:[.01 ]+ = )?([^:]+): (.*)$/.exec(line);
    if (!m) continue;
    const [, k, v] = m as unknown as [string, string, string];
    const hexIn = /\(0x([0-9a-f]+)\)$/i.exec(v);
    const put = (name: string, val: string) => {
      if (!(name in cur)) cur[name] = val;
    };
    if (k === 'PDU Type') put('type', String(parseInt(hexIn?.[1] ?? 'x', 16)));
    else if (k === 'Trailer Flags') put('trailer', String(parseInt(hexIn?.[1] ?? 'x', 16)));
    else if (k === 'Re-transmission Indicator') put('rid', v.startsWith('Re-') ? '1' : '0');
    else if (k === 'TID Response') put('tidResponse', v === 'Response' ? '1' : '0');
    else if (k === 'Transaction ID') put('tid', String(parseInt(v, 16)));
    else if (k === 'TIDNew') put('tidNew', v.includes('new') ? '1' : '0');
    else if (k === 'U/P flag') put('up', v.includes('required') ? '1' : '0');
    else if (k === 'Transaction Class') put('tcl', String(parseInt(hexIn?.[1] ?? 'x', 16)));
    else if (k === 'Version') put('version', String(parseInt(hexIn?.[1] ?? 'x', 16)));
    else if (k === 'Tve/Tok flag') put('tveTok', v === 'True' ? '1' : '0');
    else if (k === 'Packet Sequence Number') cur.psn = cur.psn === undefined ? v : `${cur.psn},${v}`; // NAck: the missing list
    else if (k === 'Packet sequence number') put('tpiPsn', v);
    else if (k === 'Option') put('option', String(parseInt(hexIn?.[1] ?? 'x', 16)));
    else if (k === 'Missing Packets') put('missing', v);
  }
  return out;
}

const CODE: Record<WtpPdu['type'], number> = {
  Invoke: 1, Result: 2, Ack: 3, Abort: 4, SegmentedInvoke: 5, SegmentedResult: 6, NegativeAck: 7,
};

function ourFields(p: WtpPdu): Record<string, string> {
  const b = (x: boolean) => (x ? '1' : '0');
  const f: Record<string, string> = {
    type: String(CODE[p.type]),
    tid: String(p.tid & 0x7fff),
    tidResponse: b((p.tid & 0x8000) !== 0),
  };
  if ('gtr' in p) f.trailer = String((p.gtr ? 2 : 0) + (p.ttr ? 1 : 0));
  if ('rid' in p) f.rid = b(p.rid);
  if (p.type === 'Invoke') Object.assign(f, { tidNew: b(p.tidNew), up: b(p.up), tcl: String(p.tcl), version: String(p.version) });
  if (p.type === 'Ack') f.tveTok = b(p.tveTok);
  if ('psn' in p) f.psn = String(p.psn);
  if (p.type === 'NegativeAck') {
    f.missing = String(p.missing.length);
    if (p.missing.length > 0) f.psn = p.missing.join(',');
  }
  const psn = p.tpis.find((x) => x.tpi === 'PSN');
  if (psn && psn.tpi === 'PSN') f.tpiPsn = String(psn.psn);
  const opt = p.tpis.find((x) => x.tpi === 'Option');
  if (opt && opt.tpi === 'Option') f.option = String(opt.option);
  return f;
}

t.test('the corpus is there', async (t) => {
  t.ok(wtpRows.length >= 70, `${wtpRows.length} WTP datagrams from ${new Set(wtpRows.map((r) => r.file)).size} captures`);
});

t.test('every WTP datagram decodes and re-encodes to the same bytes', async (t) => {
  let n = 0;
  for (const r of wtpRows) {
    const where = `${r.file.replace(/.*\//, '')} frame ${r.frame}`;
    const pdus = decodeDatagram(r.payload);
    const again = encodeDatagram(pdus, { concatenate: isConcatenated(r.payload) });
    if (!again.equals(r.payload)) t.fail(`${where}: re-encoding differs`, { found: again.toString('hex'), wanted: r.payload.toString('hex') });
    else n++;
  }
  t.equal(n, wtpRows.length, `${n} datagrams round-trip byte for byte`);
});

t.test('header fields agree with the tshark verbose decode', async (t) => {
  const byFile = new Map<string, Row[]>();
  for (const r of wtpRows) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  let checked = 0;
  for (const [file, rs] of byFile) {
    const v = verboseWtp(file.replace(/\.payloads\.csv$/, '.decode.txt'));
    if (v.size === 0) continue;
    for (const r of rs) {
      const theirs = v.get(r.frame);
      if (!theirs || !('type' in theirs) || isConcatenated(r.payload)) continue;
      const ours = ourFields(decodeDatagram(r.payload)[0] as WtpPdu);
      const mismatch = Object.keys(theirs).filter((k) => ours[k] !== theirs[k]);
      t.same(mismatch, [], `${file.replace(/.*\//, '')} frame ${r.frame}: ${Object.keys(theirs).join(',')}`);
      checked++;
    }
  }
  t.ok(checked >= 70, `${checked} frames cross-checked`);
});
