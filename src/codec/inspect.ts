/** `wapgw decode`: decodes a datagram or PDU into JSON-friendly values. Filled in as the codecs land. */
import { DecodeError } from '../core/errors';

export function inspect(buf: Buffer, as?: string): unknown {
  throw new DecodeError(as ?? 'wtp', 0, `decoder not available yet (${buf.length} octets)`);
}
