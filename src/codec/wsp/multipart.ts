/**
 * Multipart entity bodies (WAP-230 §8.5), the body of application/vnd.wap.multipart.* (MMS
 * m-send-req / m-retrieve-conf use multipart.related or .mixed):
 *
 *   Multipart  = nEntries (uintvar) *Multipart-entry
 *   Multipart-entry = HeadersLen (uintvar) DataLen (uintvar) ContentType Headers Data
 *
 * HeadersLen covers ContentType and Headers. Each part keeps its decoded content type and
 * header list (with raw octets, so an unchanged part re-encodes byte for byte).
 */
import { Reader, Writer } from '../bytes';
import { type ContentType, decodeContentType, encodeContentType } from './content-type';
import { type HeaderInput, type WspHeader, decodeHeaders, httpToHeaderList, writeHeaders } from './headers';
import { DEFAULT_ENCODING_VERSION } from './tables';

const LAYER = 'wsp';

export interface MultipartPart {
  contentType: ContentType;
  headers: WspHeader[];
  data: Buffer;
}

export interface MultipartPartInput {
  contentType: ContentType | string;
  /** A header list, or HTTP-style name -> value. */
  headers?: readonly HeaderInput[] | Record<string, string>;
  data: Buffer | Uint8Array | string;
}

/** Decodes a multipart body. `buf` may be a Buffer or a Reader positioned at nEntries (read to its end). */
export function decodeMultipart(input: Buffer | Reader): MultipartPart[] {
  const r = Buffer.isBuffer(input) ? new Reader(input, LAYER) : input;
  const n = r.uintvar('nEntries');
  // Each entry takes at least 3 octets: refuse a count the data cannot hold before looping.
  if (n * 3 > r.remaining) r.fail(`nEntries ${n} cannot fit in ${r.remaining} octets`);
  const parts: MultipartPart[] = [];
  for (let i = 0; i < n; i++) {
    const headersLen = r.uintvar('HeadersLen');
    const dataLen = r.uintvar('DataLen');
    const hr = r.sub(headersLen, 'multipart headers');
    const contentType = decodeContentType(hr);
    const headers = decodeHeaders(hr);
    const data = r.bytes(dataLen, 'multipart data');
    parts.push({ contentType, headers, data });
  }
  if (!r.atEnd) r.fail(`${r.remaining} octets after the last multipart entry`);
  return parts;
}

/** Encodes a multipart body for a peer at `version` (codes newer than that go as text). */
export function encodeMultipart(
  parts: readonly MultipartPartInput[],
  version: string | number = DEFAULT_ENCODING_VERSION,
): Buffer {
  const w = new Writer(LAYER, 1024);
  writeMultipart(w, parts, version);
  return w.toBuffer();
}

export function writeMultipart(w: Writer, parts: readonly MultipartPartInput[], version: string | number = DEFAULT_ENCODING_VERSION): void {
  w.uintvar(parts.length);
  for (const p of parts) {
    const hw = new Writer(LAYER, 128);
    encodeContentType(hw, p.contentType, version);
    const list = p.headers === undefined ? [] : Array.isArray(p.headers) ? (p.headers as readonly HeaderInput[]) : httpToHeaderList(p.headers as Record<string, string>);
    writeHeaders(hw, list, version);
    const hb = hw.toBuffer();
    const data = typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data;
    w.uintvar(hb.length).uintvar(data.length).bytes(hb).bytes(data);
  }
}
