/**
 * The connectionless WSP Push PDU a PPG sends (WAP-230 §8.2.4.1 Push, §8.2.1 connectionless TID):
 *
 *   TID(1) | 06 | HeadersLen(uintvar) | Content-Type | Headers | Data
 *
 * with X-Wap-Application-Id (WAP-230 Table 39, field 0x2F) first among the headers: a well-known
 * application (OMNA Push Application ID, mms.ua = 4) goes by number as an Integer-value, anything
 * else as a Uri-value. The content type is encoded for Encoding-Version 1.2 by default: types that
 * only got a well-known code in 1.4 (application/vnd.wap.mms-message, 0x3E) then go as text, which
 * every phone reads; pass `encodingVersion: '1.4'` for the one-octet form.
 *
 * Pure: the PDU is built by the WSP codec (src/codec/wsp, encodeWsp), nothing else is done here.
 * The initiator's HTTP headers are never passed in by the PPG (issue 12: no header of the push
 * initiator's request is copied into the push); `headers` is for content headers of the PAP
 * content entity (Content-Location, X-Wap-Content-URI, X-Wap-Initiator-URI...).
 */
import { encodeWsp } from '../codec/wsp';
import { EncodeError } from '../core/errors';
import { Memo } from '../core/bounded';

export interface ConnectionlessPush {
  /** Connectionless TID, 0-255 (WAP-230 §8.2.1). */
  tid: number;
  /** e.g. application/vnd.wap.mms-message, application/vnd.wap.sic, application/vnd.wap.slc. */
  contentType: string;
  /** X-Wap-Application-Id: a number (4 = mms.ua), a name (x-wap-application:mms.ua) or a URI. */
  applicationId?: number | string;
  /** Further headers, HTTP text form; X-Wap-Application-Id here is refused (use applicationId). */
  headers?: Array<[string, string]>;
  body: Buffer;
  /** Encoding-Version the phone is assumed to read; default '1.2'. */
  encodingVersion?: string;
}

/** Well-known push application ids (OMNA registry; the subset a PPG names most). */
export const PUSH_APP_ID = { any: 0, 'push.sia': 1, 'wml.ua': 2, 'wta.ua': 3, 'mms.ua': 4, 'push.syncml': 5 } as const;

/**
 * The PDU without its data for pushes with no extra headers, by content type, application id and
 * encoding version: everything a Push PDU holds before its data depends on these alone, and the
 * TID is its first octet (WAP-230 §8.2.1), so a push is this prefix with its TID and data.
 * Bounded: a handful of content types and application ids in practice; cleared when full.
 */
const prefixes = new Memo<string, Buffer>(64);

export function encodeConnectionlessPush(p: ConnectionlessPush): Buffer {
  if (!Number.isInteger(p.tid) || p.tid < 0 || p.tid > 255) throw new EncodeError('wsp', `push tid ${p.tid} is not 0-255`);
  if (p.headers === undefined || p.headers.length === 0) {
    const key = `${p.contentType}\u0000${typeof p.applicationId}:${String(p.applicationId)}\u0000${p.encodingVersion ?? '1.2'}`;
    const prefix = prefixes.get(key) ?? prefixes.set(key, encodePush({ ...p, tid: 0, body: EMPTY }));
    const out = Buffer.allocUnsafe(prefix.length + p.body.length);
    prefix.copy(out, 0);
    out[0] = p.tid;
    p.body.copy(out, prefix.length);
    return out;
  }
  return encodePush(p);
}

const EMPTY = Buffer.alloc(0);

function encodePush(p: ConnectionlessPush): Buffer {
  const headers: Array<{ name: string; value: string }> = [];
  if (p.applicationId !== undefined) {
    const v = p.applicationId;
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) throw new EncodeError('wsp', `application id ${v} is not a non-negative integer`);
    headers.push({ name: 'X-Wap-Application-Id', value: String(v) });
  }
  for (const [name, value] of p.headers ?? []) {
    if (name.toLowerCase() === 'x-wap-application-id') throw new EncodeError('wsp', 'X-Wap-Application-Id goes in applicationId');
    if (name.toLowerCase() === 'content-type') throw new EncodeError('wsp', 'Content-Type goes in contentType');
    headers.push({ name, value });
  }
  return encodeWsp(
    { type: 'Push', tid: p.tid, contentType: p.contentType, headers, data: p.body },
    { connectionless: true, encodingVersion: p.encodingVersion ?? '1.2' },
  );
}
