/**
 * Captured traffic (Kannel fakewap <-> bearerbox+wapbox, ../shared/interop/kannel and our own
 * recordings): every WSP PDU decodes, re-encodes to the same octets, and its values agree with
 * tshark's verbose decode stored next to the capture (*.decode.txt).
 *
 * Where our encoding differs from Kannel's, both are valid:
 * - Kannel packs header *values* with the 1.2 tables whatever the session says, and field
 *   *names* with the session's version (1.2 unless the handset says otherwise; 1.3 for
 *   connectionless replies). So application/vnd.wap.mms-message (0x3E, 1.4) goes as text and
 *   the ConnectReply's Encoding-Version (0x43, 1.3) goes as an application header. Our encoder,
 *   given the same version, makes the same choices, so it reproduces Kannel's octets from the
 *   decoded values alone (asserted below); given 1.4 it sends 0xBE, which tshark reads the same
 *   way (test/codec/wsp-tshark.test.ts).
 * - Anything we decode keeps its octets (`raw`), so a PDU that is passed on unchanged is
 *   re-encoded byte for byte even when we would have chosen another valid form.
 */
import t from 'tap';
import {
  type WspPdu,
  decodeWsp,
  encodeWsp,
  formatContentType,
  PDU_TYPE_BY_CODE,
} from '../../src/codec/wsp';
import { corpus, corpusFiles, wspSections, type WspSample } from '../fixtures/wsp/corpus';
import { noRaw } from '../helpers/no-raw';

const samples = corpus();


/** The version Kannel packed field names with (see the file comment). */
const kannelVersion = (s: WspSample): string => (s.connectionless && s.srcPort === 9200 ? '1.3' : '1.2');

t.test('the corpus is there', async (t) => {
  t.ok(corpusFiles().length >= 5, `${corpusFiles().length} capture files`);
  t.ok(samples.length >= 20, `${samples.length} WSP PDUs`);
  t.ok(samples.some((s) => s.packets > 1), 'with segmented messages');
  t.ok(samples.some((s) => s.connectionless), 'with connectionless PDUs');
});

t.test('every WSP PDU decodes and re-encodes to the same octets', async (t) => {
  for (const s of samples) {
    const label = `${s.scenario} frame ${s.frame} (${s.packets} packet${s.packets > 1 ? 's' : ''})`;
    let pdu: WspPdu;
    try {
      pdu = decodeWsp(s.pdu, { connectionless: s.connectionless });
    } catch (e) {
      t.fail(`${label}: ${(e as Error).message}`);
      continue;
    }
    const again = encodeWsp(pdu, { connectionless: s.connectionless, encodingVersion: kannelVersion(s) });
    t.equal(again.toString('hex'), s.pdu.toString('hex'), `${label}: ${pdu.type} round trip`);
    if (s.file.includes('kannel')) {
      const canonical = encodeWsp(noRaw(pdu), { connectionless: s.connectionless, encodingVersion: kannelVersion(s) });
      t.equal(canonical.toString('hex'), s.pdu.toString('hex'), `${label}: the values alone encode to Kannel's octets at ${kannelVersion(s)}`);
    }
  }
});

/** tshark prints dates as "Nov 24, 2026 14:21:32 UTC". */
const sameDate = (ours: string, theirs: string): boolean => Date.parse(ours) === Date.parse(theirs.replace(/ UTC$/, ' GMT'));

t.test('decoded values agree with tshark (*.decode.txt)', async (t) => {
  let compared = 0;
  for (const file of corpusFiles()) {
    const sections = wspSections(file);
    if (sections.size === 0) continue;
    for (const s of samples.filter((x) => x.file === file)) {
      const lines = sections.get(s.frame);
      const label = `${s.scenario} frame ${s.frame}`;
      if (!lines) {
        t.fail(`${label}: tshark shows no WSP in that frame`);
        continue;
      }
      compared++;
      const pdu = decodeWsp(s.pdu, { connectionless: s.connectionless });
      const has = (line: string): boolean => lines.includes(line);
      const code = s.pdu[s.connectionless ? 1 : 0] as number;
      const name = PDU_TYPE_BY_CODE.get(code)?.[1];
      t.ok(has(`PDU Type: ${name} (0x${code.toString(16).padStart(2, '0')})`), `${label}: PDU type ${pdu.type}`);
      if (s.connectionless) t.ok(has(`Transaction ID: 0x${(pdu.tid ?? 0).toString(16).padStart(2, '0')}`), `${label}: TID`);
      if ('uri' in pdu) t.ok(has(`URI: ${pdu.uri}`), `${label}: URI`);
      if ('sessionId' in pdu) t.ok(has(`Server Session ID: ${pdu.sessionId}`) || has(`Session ID: ${pdu.sessionId}`) || lines[0]?.endsWith(`Session ID: ${pdu.sessionId}`), `${label}: session id`);
      if (pdu.type === 'Reply') t.ok(lines.some((l) => l.startsWith('Status: ') && l.endsWith(`(0x${pdu.status.toString(16)})`)), `${label}: status 0x${pdu.status.toString(16)}`);
      if ('contentType' in pdu) t.ok(has(`Content-Type: ${formatContentType(pdu.contentType)}`), `${label}: Content-Type ${formatContentType(pdu.contentType)}`);
      if ('capabilities' in pdu) {
        for (const c of pdu.capabilities) {
          t.ok(has(`${c.name.replace(/-/g, ' ')}: ${c.value}`), `${label}: capability ${c.name} ${c.value}`);
        }
      }
      if ('headers' in pdu) {
        for (const h of pdu.headers) {
          // tshark prints a label line ("Date: Date") before the value line: take the last one.
          const line = lines.filter((l) => l.startsWith(`${h.name}: `)).pop();
          if (!line) {
            // A text value starting at 0x80+ without the 0x7F quote (ua-highbit): a peer bug we
            // tolerate (the field has no binary values), which tshark reports as malformed.
            const unquoted = h.raw !== undefined && (h.raw[0] as number) >= 0x80 && (h.raw[1] as number) >= 0x80 && h.raw.length > 2;
            if (unquoted) t.ok(lines.some((l) => l.startsWith('[Malformed Packet')), `${label}: tshark calls the unquoted ${h.name} malformed; we read "${h.value}"`);
            else t.fail(`${label}: tshark has no ${h.name}`);
            continue;
          }
          const theirs = line.slice(h.name.length + 2);
          if (h.name === 'Date') t.ok(sameDate(h.value, theirs), `${label}: ${h.name} ${h.value} = ${theirs}`);
          else t.equal(h.value, theirs, `${label}: ${h.name}`);
        }
      }
    }
  }
  t.ok(compared >= 15, `${compared} PDUs compared with tshark`);
});
