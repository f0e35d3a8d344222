/**
 * `wapgw decode --as sms HEX...`: one or more SMS, each an SMS TPDU (3GPP TS 23.040 §9.2.2:
 * SMS-DELIVER or SMS-SUBMIT) or the short_message of an SMPP submit_sm / deliver_sm with its UDH
 * (SMPP 3.4 §5.2.12 esm_class UDHI). For each input: the TPDU fields and the UDH IEs; then the
 * inputs are reassembled (TS 23.040 §9.2.3.24.1 concatenation; single SMS pass through) and each
 * whole WDP datagram on a WAP port (WAP-259 Appendix B: 2948 push, 2949 secure push, 9200 WSP
 * connectionless) is decoded as a connectionless WSP PDU, with the MMS PDU (or whatever the WSP
 * inspector shows for the body) inside.
 *
 * Which form an input is: a first octet with bit 6 set (TP-UDHI) is a TPDU; otherwise the input is
 * read as user data opening with a UDH (UDHL, then IEs), and when that does not parse, as a TPDU
 * without UDH. Pure; malformed input raises DecodeError naming the input (1-based) and the offset
 * in that input, or in the reassembled datagram for the WSP layer.
 */
import { DecodeError } from '../core/errors';
import { inspect, toJson } from './inspect';
import { type SmsTpdu, type UdhIe, type UserData, decodeTpdu, decodeUserDataWithHeader, reassemble } from './sms';

type Json = ReturnType<typeof toJson>;

/** WDP ports whose payload is a connectionless WSP PDU (WAP-259 Appendix B). */
const WSP_CL_PORTS = new Set([2948, 2949, 9200]);

interface Classified {
  json: Record<string, Json>;
  userData?: UserData & { key?: string };
}

function ieJson(ie: UdhIe): Json {
  switch (ie.type) {
    case 'ports16':
    case 'ports8':
      return { iei: `0x${ie.iei.toString(16).padStart(2, '0')}`, type: ie.type, dst: ie.dst, src: ie.src };
    case 'concat8':
    case 'concat16':
      return { iei: `0x${ie.iei.toString(16).padStart(2, '0')}`, type: ie.type, ref: ie.ref, total: ie.total, seq: ie.seq };
    default:
      return { iei: `0x${ie.iei.toString(16).padStart(2, '0')}`, data: ie.data.toString('hex') };
  }
}

function tpduJson(t: SmsTpdu): Record<string, Json> {
  const out: Record<string, Json> = { form: t.type };
  if (t.type === 'SMS-DELIVER') {
    Object.assign(out, { originator: t.originator.number, toa: t.originator.toa, serviceCentreTimeStamp: t.serviceCentreTimeStamp });
    if (t.statusReportIndication) out.statusReportIndication = true;
  } else {
    Object.assign(out, {
      messageReference: t.messageReference,
      destination: t.destination.number,
      toa: t.destination.toa,
      validityPeriod: toJson(t.validityPeriod),
    });
    if (t.statusReportRequest) out.statusReportRequest = true;
  }
  Object.assign(out, { pid: t.pid, dcs: `0x${t.dcs.toString(16).padStart(2, '0')}`, alphabet: t.alphabet, udl: t.udl });
  return out;
}

function withInput<T>(i: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.layer, e.offset, `input ${i + 1}: ${bare(e)}`);
    throw e;
  }
}

const bare = (e: DecodeError): string => e.message.replace(/^[^:]*: /, '').replace(/ at offset \d+$/, '');

function classify(buf: Buffer, i: number): Classified {
  const asTpdu = (): Classified => {
    const t = decodeTpdu(buf);
    const json = tpduJson(t);
    if (t.userData) {
      json.udh = t.userData.udh.map(ieJson);
      json.dataLength = t.userData.data.length;
      const key = t.type === 'SMS-DELIVER' ? t.originator.number : t.destination.number;
      return { json, userData: { ...t.userData, key } };
    }
    json.ud = toJson(t.ud);
    return { json };
  };
  return withInput(i, () => {
    if ((buf[0] ?? 0) & 0x40) return asTpdu();
    try {
      const u = decodeUserDataWithHeader(buf);
      return { json: { form: 'user data with UDH (SMPP short_message)', udh: u.udh.map(ieJson), dataLength: u.data.length }, userData: u };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      try {
        return asTpdu();
      } catch {
        throw e;
      }
    }
  });
}

/** Decodes the SMS inputs, reassembles them and decodes the WSP inside (see the file comment). */
export function inspectSms(inputs: readonly Buffer[]): Json {
  if (inputs.length === 0) throw new DecodeError('sms', 0, 'no input');
  const classified = inputs.map((b, i) => classify(b, i));
  const withUd: { index: number; ud: UserData & { key?: string } }[] = [];
  classified.forEach((c, index) => {
    if (c.userData) withUd.push({ index, ud: c.userData });
  });
  const r = reassemble(withUd.map((x) => x.ud));
  const inputNo = (j: number) => (withUd[j] as { index: number }).index + 1;
  const messages = r.complete.map((m) => {
    const out: Record<string, Json> = { inputs: m.inputs.map(inputNo) };
    if (m.ports) out.ports = { dst: m.ports.dst, src: m.ports.src };
    if (m.concat) out.concatenation = { ref: m.concat.ref, total: m.concat.total, refBits: m.concat.bits };
    out.length = m.data.length;
    if (m.ports && WSP_CL_PORTS.has(m.ports.dst) && m.data.length > 0) {
      try {
        out.wsp = inspect(m.data, 'wsp-cl') as Json;
      } catch (e) {
        if (e instanceof DecodeError) {
          throw new DecodeError(e.layer, e.offset, `the datagram of input(s) ${m.inputs.map(inputNo).join(',')}: ${bare(e)}`);
        }
        throw e;
      }
    } else out.data = toJson(m.data);
    return out;
  });
  const out: Record<string, Json> = { layer: 'sms', sms: classified.map((c) => c.json), messages };
  if (r.incomplete.length > 0) {
    out.incomplete = r.incomplete.map((g) => ({ ref: g.ref, total: g.total, refBits: g.bits, have: g.have, inputs: g.inputs.map(inputNo) }));
  }
  if (r.duplicates.length > 0) out.duplicates = r.duplicates.map(inputNo);
  return out;
}
