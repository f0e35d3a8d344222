/**
 * SMS TPDU decoding (3GPP TS 23.040 §9.2.2), for `wapgw decode --as sms`: SMS-DELIVER
 * (§9.2.2.1, SC -> MS, TP-MTI 00) and SMS-SUBMIT (§9.2.2.2, MS -> SC, TP-MTI 01).
 *
 *   SMS-DELIVER  first(1) TP-OA TP-PID(1) TP-DCS(1) TP-SCTS(7) TP-UDL(1) TP-UD
 *   SMS-SUBMIT   first(1) TP-MR(1) TP-DA TP-PID(1) TP-DCS(1) [TP-VP 0/1/7] TP-UDL(1) TP-UD
 *
 *   first octet: bits 0-1 TP-MTI; bit 6 TP-UDHI; bit 7 TP-RP; DELIVER bit 2 TP-MMS (inverted:
 *   0 = more messages), bit 5 TP-SRI; SUBMIT bit 2 TP-RD, bits 3-4 TP-VPF, bit 5 TP-SRR.
 *   address (§9.1.2.5): length in digits, type of address, BCD digits low nibble first (F fill);
 *   an alphanumeric address (TON 101) is GSM 7-bit packed and shown as hex here.
 *   TP-DCS (TS 23.038 §4): 8-bit data is group 00xx with bits 3-2 = 01, or group 1111 with bit 2.
 *   TP-UDL counts septets for the GSM 7-bit alphabet, octets otherwise.
 *
 * The TPDU is taken without the SMSC address some modems print before it. Pure; only DecodeError
 * (ERR_SMS_DECODE) escapes.
 */
import { Reader } from '../bytes';
import { DecodeError } from '../../core/errors';
import { type UserData, decodeUserDataWithHeader } from './udh';

const LAYER = 'sms';

export type Alphabet = 'gsm7' | '8bit' | 'ucs2';

export interface SmsAddress {
  /** Digits (with '+' for an international number), or `hex:` + octets for an alphanumeric address. */
  number: string;
  /** Type of address octet. */
  toa: number;
}

interface TpduBase {
  udhi: boolean;
  replyPath: boolean;
  pid: number;
  dcs: number;
  alphabet: Alphabet;
  /** TP-UDL as sent (septets for gsm7). */
  udl: number;
  /** The TP-UD octets. */
  ud: Buffer;
  /** When UDHI is set: the decoded header and the data after it. */
  userData?: UserData;
  /** Offset of TP-UD in the TPDU. */
  udOffset: number;
}

export interface SmsDeliver extends TpduBase {
  type: 'SMS-DELIVER';
  moreMessagesToSend: boolean;
  statusReportIndication: boolean;
  originator: SmsAddress;
  /** TP-SCTS as 'YY-MM-DD hh:mm:ss +hh:mm' (the year has two digits on the wire). */
  serviceCentreTimeStamp: string;
}

export interface SmsSubmit extends TpduBase {
  type: 'SMS-SUBMIT';
  rejectDuplicates: boolean;
  statusReportRequest: boolean;
  messageReference: number;
  destination: SmsAddress;
  /** 'none' | relative (§9.2.3.12.1, the octet) | 'absolute'/'enhanced' with the 7 octets in hex. */
  validityPeriod: { format: 'none' } | { format: 'relative'; value: number } | { format: 'absolute' | 'enhanced'; hex: string };
}

export type SmsTpdu = SmsDeliver | SmsSubmit;

export function alphabetOf(dcs: number): Alphabet {
  const group = dcs >> 4;
  if ((group & 0x0c) === 0x00 || (group & 0x0c) === 0x04) {
    // general data coding (00xx) and automatic deletion group (01xx): bits 3-2 give the alphabet
    const a = (dcs >> 2) & 0x03;
    return a === 1 ? '8bit' : a === 2 ? 'ucs2' : 'gsm7';
  }
  if (group === 0x0f) return dcs & 0x04 ? '8bit' : 'gsm7';
  if (group === 0x0e) return 'ucs2';
  return 'gsm7';
}

function address(r: Reader, what: string): SmsAddress {
  const digits = r.u8(`${what} length`);
  const toa = r.u8(`${what} type`);
  const octets = r.bytes(Math.ceil(digits / 2), what);
  if ((toa & 0x70) === 0x50) return { number: `hex:${octets.toString('hex')}`, toa };
  let s = '';
  for (const o of octets) s += nibble(o & 0x0f) + nibble(o >> 4);
  s = s.slice(0, digits);
  return { number: ((toa & 0x70) === 0x10 ? '+' : '') + s, toa };
}

const NIBBLES = '0123456789*#abc';
function nibble(n: number): string {
  return n === 0x0f ? '' : (NIBBLES[n] as string);
}

function swapped(o: number): number {
  return (o & 0x0f) * 10 + (o >> 4);
}

function timestamp(b: Buffer): string {
  const f = (i: number) => String(swapped(b[i] as number)).padStart(2, '0');
  const tzo = b[6] as number;
  // TS 23.040 §9.2.3.11: quarter hours, BCD swapped, sign in bit 3 of the first (low) nibble
  const q = (tzo & 0x07) * 10 + (tzo >> 4);
  const minutes = q * 15;
  const sign = tzo & 0x08 ? '-' : '+';
  return `${f(0)}-${f(1)}-${f(2)} ${f(3)}:${f(4)}:${f(5)} ${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function userData(r: Reader, dcs: number, udhi: boolean): Pick<TpduBase, 'alphabet' | 'udl' | 'ud' | 'userData' | 'udOffset'> {
  const alphabet = alphabetOf(dcs);
  const udl = r.u8('TP-UDL');
  const octets = alphabet === 'gsm7' ? Math.ceil((udl * 7) / 8) : udl;
  if (octets > 140) r.fail(`TP-UDL ${udl} is more than 140 octets of user data`, r.pos - 1);
  const udOffset = r.pos;
  const ud = r.bytes(octets, 'TP-UD');
  if (!r.atEnd) r.fail(`${r.remaining} octets after TP-UD`);
  const out: Pick<TpduBase, 'alphabet' | 'udl' | 'ud' | 'userData' | 'udOffset'> = { alphabet, udl, ud, udOffset };
  if (udhi) {
    if (ud.length === 0) throw new DecodeError(LAYER, udOffset, 'TP-UDHI set but no user data');
    const u = decodeUserDataWithHeader(ud, udOffset);
    // with the 7-bit alphabet the data after the UDH starts on a septet boundary: keep it as octets
    out.userData = u;
  }
  return out;
}

/** Decodes one SMS-DELIVER or SMS-SUBMIT TPDU. */
export function decodeTpdu(buf: Buffer): SmsTpdu {
  const r = new Reader(buf, LAYER);
  const first = r.u8('first octet');
  const mti = first & 0x03;
  const udhi = (first & 0x40) !== 0;
  const replyPath = (first & 0x80) !== 0;
  if (mti === 0x00) {
    const originator = address(r, 'TP-OA');
    const pid = r.u8('TP-PID');
    const dcs = r.u8('TP-DCS');
    const scts = timestamp(r.bytes(7, 'TP-SCTS'));
    return {
      type: 'SMS-DELIVER',
      udhi,
      replyPath,
      moreMessagesToSend: (first & 0x04) === 0,
      statusReportIndication: (first & 0x20) !== 0,
      originator,
      pid,
      dcs,
      serviceCentreTimeStamp: scts,
      ...userData(r, dcs, udhi),
    };
  }
  if (mti === 0x01) {
    const messageReference = r.u8('TP-MR');
    const destination = address(r, 'TP-DA');
    const pid = r.u8('TP-PID');
    const dcs = r.u8('TP-DCS');
    const vpf = (first >> 3) & 0x03;
    let validityPeriod: SmsSubmit['validityPeriod'] = { format: 'none' };
    if (vpf === 2) validityPeriod = { format: 'relative', value: r.u8('TP-VP') };
    else if (vpf === 1) validityPeriod = { format: 'enhanced', hex: r.bytes(7, 'TP-VP').toString('hex') };
    else if (vpf === 3) validityPeriod = { format: 'absolute', hex: r.bytes(7, 'TP-VP').toString('hex') };
    return {
      type: 'SMS-SUBMIT',
      udhi,
      replyPath,
      rejectDuplicates: (first & 0x04) !== 0,
      statusReportRequest: (first & 0x20) !== 0,
      messageReference,
      destination,
      pid,
      dcs,
      validityPeriod,
      ...userData(r, dcs, udhi),
    };
  }
  throw new DecodeError(LAYER, 0, `TP-MTI ${mti} is not SMS-DELIVER (0) or SMS-SUBMIT (1)`);
}
