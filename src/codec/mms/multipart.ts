/**
 * The WSP multipart body of MMS PDUs (WAP-230 §8.5.2, MMS ENC §7.1 "Message body"):
 *   nEntries uintvar, then per entry HeadersLen uintvar, DataLen uintvar,
 *   ContentType + Headers (HeadersLen octets), Data (DataLen octets).
 * Lengths are checked against what remains before anything is sliced; part data are views
 * into the input buffer (no copy). An entry whose header section would not re-encode to the
 * same octets keeps them in `rawHeaders`.
 */
import { Reader, Writer } from '../bytes';
import { decodeContentType, encodeContentType } from '../wsp/content-type';
import { decodePartHeaders, encodePartHeaders } from './part-headers';
import type { MmsPart } from './types';

export function decodeMultipart(r: Reader): MmsPart[] {
  const start = r.pos;
  const n = r.uintvar('multipart nEntries');
  // Each entry takes at least 3 octets (two uintvars and a content type): refuse counts the data cannot hold.
  if (n * 3 > r.remaining) r.fail(`multipart claims ${n} entries but only ${r.remaining} octets remain`, start);
  const parts: MmsPart[] = [];
  for (let i = 0; i < n; i++) {
    const headersLen = r.uintvar('multipart HeadersLen');
    const dataLen = r.uintvar('multipart DataLen');
    const hstart = r.pos;
    const h = r.sub(headersLen, 'multipart entry headers');
    const contentType = decodeContentType(h);
    const headers = decodePartHeaders(h);
    const data = r.bytes(dataLen, 'multipart entry data');
    const part: MmsPart = { contentType, headers, data };
    const raw = r.buf.subarray(hstart, hstart + headersLen);
    if (!canonicalEntryHeaders(part)?.equals(raw)) part.rawHeaders = Buffer.from(raw);
    parts.push(part);
  }
  if (!r.atEnd) r.fail(`${r.remaining} octets after the last multipart entry`);
  return parts;
}

function canonicalEntryHeaders(p: MmsPart): Buffer | undefined {
  try {
    const w = new Writer('mms', 64);
    encodeContentType(w, p.contentType);
    encodePartHeaders(w, p.headers);
    return w.toBuffer();
  } catch {
    return undefined;
  }
}

export function encodeMultipart(w: Writer, parts: readonly MmsPart[]): void {
  w.uintvar(parts.length);
  for (const p of parts) {
    let hb: Buffer;
    if (p.rawHeaders !== undefined) hb = p.rawHeaders;
    else {
      const hw = new Writer('mms', 64);
      encodeContentType(hw, p.contentType);
      encodePartHeaders(hw, p.headers);
      hb = hw.toBuffer();
    }
    w.uintvar(hb.length).uintvar(p.data.length).bytes(hb).bytes(p.data);
  }
}
