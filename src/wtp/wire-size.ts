/**
 * Octets a WTP PDU takes on the wire (WAP-224 §8), computed without encoding it: the fixed
 * header of its type, its TPIs (one octet, or two in the long form, plus the value) and its
 * user data. Used for the anti-amplification budget.
 */
import type { Tpi, WtpPdu } from '../codec/wtp/types';
import { FIXED_HEADER } from '../codec/wtp/codec';

function tpiSize(t: Tpi): number {
  let body: number;
  switch (t.tpi) {
    case 'Error':
      body = 1 + t.data.length;
      break;
    case 'Info':
    case 'Unknown':
      body = t.data.length;
      break;
    case 'Option':
      body = 1 + t.value.length;
      break;
    case 'PSN':
      body = 1;
      break;
    default:
      body = 0;
  }
  return (t.long || body > 3 ? 2 : 1) + body;
}

export function pduSize(pdu: WtpPdu): number {
  let n = FIXED_HEADER[pdu.type];
  for (const t of pdu.tpis) n += tpiSize(t);
  if (pdu.type === 'NegativeAck') n += pdu.missing.length;
  if ('data' in pdu) n += pdu.data.length;
  return n;
}
