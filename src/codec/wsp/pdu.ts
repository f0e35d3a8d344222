/**
 * WSP PDUs (WAP-230 §8.2, Table 34) in the connection-oriented form (carried by WTP, no TID)
 * and the connectionless form (port 9200: a 1-octet TID before the PDU, §8.2.1).
 *
 *   Connect        01 Version CapabilitiesLen HeadersLen Capabilities Headers
 *   ConnectReply   02 ServerSessionId CapabilitiesLen HeadersLen Capabilities Headers
 *   Redirect       03 Flags RedirectAddresses
 *   Reply          04 Status HeadersLen ContentType Headers Data
 *   Disconnect     05 ServerSessionId
 *   Push           06 HeadersLen ContentType Headers Data (ConfirmedPush 07: same layout)
 *   Suspend        08 SessionId
 *   Resume         09 SessionId CapabilitiesLen Capabilities Headers
 *   Get family     40-44, 50-5F: UriLen Uri Headers
 *   Post family    60-61, 70-7F: UriLen HeadersLen Uri ContentType Headers Data
 *   Data Fragment  80 HeadersLen Headers Data   (WSP 1.4 large data transfer; layout as peers
 *                  send it, not verified against the WAP-230 text)
 *
 * Capabilities (§8.3): Length (uintvar, covers the identifier and value), Identifier (Short-integer
 * or Token-text), Value. Unknown ones keep their octets. Every decoded capability and header keeps
 * `raw`, so an unchanged PDU re-encodes to the same octets even where another valid form exists.
 * Body data and the raw octets are views into the input buffer (no copy); encoding copies the
 * body once.
 */
import { Reader, Writer, uintvarLength } from '../bytes';
import { EncodeError } from '../../core/errors';
import { type ContentType, decodeContentType, encodeContentType } from './content-type';
import { type HeaderBlockCache, type HeaderInput, type WspHeader, decodeHeaders, writeHeaders } from './headers';
import {
  CAPABILITY_BY_CODE,
  CAPABILITY_BY_NAME,
  DEFAULT_ENCODING_VERSION,
  PDU_TYPE_BY_CODE,
  PROTOCOL_OPTIONS,
} from './tables';

const LAYER = 'wsp';

// ---------------------------------------------------------------------------------------------
// Model

export interface RedirectAddress {
  bearerType?: number;
  port?: number;
  /** Dotted IPv4 for 4 octets, IPv6 text for 16, else `hex:` + octets. */
  address: string;
}

export interface Capability {
  /** Table name (`Client-SDU-Size`...), the Token-text identifier, or `Capability-0x0a` when unknown. */
  name: string;
  /** Numeric value: SDU/message sizes, MOR, Protocol Options bits. */
  value?: number;
  /** Protocol Options flag names. */
  flags?: string[];
  /** Extended Methods: PDU type and, in Connect, the method name. */
  methods?: { pduType: number; name?: string }[];
  /** Header Code Pages: page code and, in Connect, the page name. */
  pages?: { page: number; name?: string }[];
  /** Aliases. */
  addresses?: RedirectAddress[];
  /** The value octets for capabilities we do not type. */
  data?: Buffer;
  /** Exact octets (Length, Identifier, Value) as received. */
  raw?: Buffer;
}

interface Base {
  /** Connectionless TID (port 9200); absent in connection mode. */
  tid?: number;
}

export interface ConnectPdu extends Base {
  type: 'Connect';
  /** WSP protocol version, e.g. '1.0'. */
  version: string;
  capabilities: Capability[];
  headers: WspHeader[];
}
export interface ConnectReplyPdu extends Base {
  type: 'ConnectReply';
  sessionId: number;
  capabilities: Capability[];
  headers: WspHeader[];
}
export interface RedirectPdu extends Base {
  type: 'Redirect';
  permanent: boolean;
  reuseSecuritySession: boolean;
  /** Flag bits other than the two above, kept so they round-trip. */
  otherFlags?: number;
  addresses: RedirectAddress[];
}
export interface ReplyPdu extends Base {
  type: 'Reply';
  /** WSP status octet (Table 36); see wspToHttpStatus. */
  status: number;
  contentType: ContentType;
  headers: WspHeader[];
  data: Buffer;
}
export interface DisconnectPdu extends Base {
  type: 'Disconnect';
  sessionId: number;
}
export interface PushPdu extends Base {
  type: 'Push' | 'ConfirmedPush';
  contentType: ContentType;
  headers: WspHeader[];
  data: Buffer;
}
export interface SuspendPdu extends Base {
  type: 'Suspend';
  sessionId: number;
}
export interface ResumePdu extends Base {
  type: 'Resume';
  sessionId: number;
  capabilities: Capability[];
  headers: WspHeader[];
}
export interface GetPdu extends Base {
  type: 'Get' | 'Options' | 'Head' | 'Delete' | 'Trace' | 'ExtendedGet';
  /** The PDU type octet; required for ExtendedGet (0x50-0x5F). */
  pduType?: number;
  uri: string;
  headers: WspHeader[];
}
export interface PostPdu extends Base {
  type: 'Post' | 'Put' | 'ExtendedPost';
  /** The PDU type octet; required for ExtendedPost (0x70-0x7F). */
  pduType?: number;
  uri: string;
  contentType: ContentType;
  headers: WspHeader[];
  data: Buffer;
}
export interface DataFragmentPdu extends Base {
  type: 'DataFragment';
  headers: WspHeader[];
  data: Buffer;
}

export type WspPdu =
  | ConnectPdu
  | ConnectReplyPdu
  | RedirectPdu
  | ReplyPdu
  | DisconnectPdu
  | PushPdu
  | SuspendPdu
  | ResumePdu
  | GetPdu
  | PostPdu
  | DataFragmentPdu;

export type WspPduType = WspPdu['type'];

/** What encodeWsp accepts: headers as text, content type as text, data as bytes or text. */
type Loosen<P> = P extends { headers: WspHeader[] }
  ? Omit<P, 'headers' | 'contentType' | 'data' | 'capabilities'> & {
      headers?: readonly HeaderInput[];
    } & (P extends { contentType: ContentType } ? { contentType: ContentType | string } : unknown) &
      (P extends { data: Buffer } ? { data?: Buffer | Uint8Array | string } : unknown) &
      (P extends { capabilities: Capability[] } ? { capabilities?: readonly Capability[] } : unknown)
  : P;
export type WspPduInput = Loosen<WspPdu>;

export interface DecodeWspOptions {
  /** The PDU starts with a 1-octet TID (connectionless WSP, port 9200). */
  connectionless?: boolean;
  /**
   * Remembers decoded header blocks (HeaderBlockCache, headers.ts) for the blocks a handset
   * repeats: those of Connect, Resume, Get-type and Post-type PDUs. The PDU's `headers` is then a
   * shared, frozen list: read it, never change it.
   */
  headerCache?: HeaderBlockCache;
}

export interface EncodeWspOptions {
  connectionless?: boolean;
  /** The peer's Encoding-Version: codes newer than this go as text. Default 1.2. */
  encodingVersion?: string | number;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export function decodeWsp(buf: Buffer, opts: DecodeWspOptions = {}): WspPdu {
  const r = new Reader(buf, LAYER);
  const tid = opts.connectionless ? r.u8('TID') : undefined;
  const pdu = decodePduBody(r, opts.headerCache);
  if (tid !== undefined) pdu.tid = tid;
  return pdu;
}

/** A header block from `r` to its end, through the cache when there is one (its lists are frozen; typed as the PDU's). */
const headerBlock = (r: Reader, cache: HeaderBlockCache | undefined): WspHeader[] => (cache === undefined ? decodeHeaders(r) : (cache.decode(r) as WspHeader[]));

function decodePduBody(r: Reader, cache?: HeaderBlockCache): WspPdu {
  const at = r.pos;
  const code = r.u8('PDU type');
  if (code >= 0x40 && code <= 0x5f) {
    const name = PDU_TYPE_BY_CODE.get(code)?.[1];
    if (code >= 0x45 && code <= 0x4f) r.fail(`reserved PDU type 0x${hex2(code)}`, at);
    const uriLen = r.uintvar('UriLen');
    const uri = r.bytes(uriLen, 'Uri').toString('latin1');
    const headers = headerBlock(r, cache);
    const type = (name ?? 'ExtendedGet') as GetPdu['type'];
    return type === 'ExtendedGet' ? { type, pduType: code, uri, headers } : { type, uri, headers };
  }
  if (code >= 0x60 && code <= 0x7f) {
    const name = PDU_TYPE_BY_CODE.get(code)?.[1];
    if (code >= 0x62 && code <= 0x6f) r.fail(`reserved PDU type 0x${hex2(code)}`, at);
    const uriLen = r.uintvar('UriLen');
    const headersLen = r.uintvar('HeadersLen');
    const uri = r.bytes(uriLen, 'Uri').toString('latin1');
    const { contentType, headers } = decodeTypedHeaders(r, headersLen, cache);
    const data = r.rest();
    const type = (name ?? 'ExtendedPost') as PostPdu['type'];
    return type === 'ExtendedPost'
      ? { type, pduType: code, uri, contentType, headers, data }
      : { type, uri, contentType, headers, data };
  }
  switch (code) {
    case 0x01: {
      const v = r.u8('Version');
      const capLen = r.uintvar('CapabilitiesLen');
      const hdrLen = r.uintvar('HeadersLen');
      const capabilities = decodeCapabilities(r.sub(capLen, 'Capabilities'), true);
      const headers = headerBlock(r.sub(hdrLen, 'Headers'), cache);
      endOfPdu(r);
      return { type: 'Connect', version: `${v >> 4}.${v & 0x0f}`, capabilities, headers };
    }
    case 0x02: {
      const sessionId = r.uintvar('ServerSessionId');
      const capLen = r.uintvar('CapabilitiesLen');
      const hdrLen = r.uintvar('HeadersLen');
      const capabilities = decodeCapabilities(r.sub(capLen, 'Capabilities'), false);
      const headers = decodeHeaders(r.sub(hdrLen, 'Headers'));
      endOfPdu(r);
      return { type: 'ConnectReply', sessionId, capabilities, headers };
    }
    case 0x03: {
      const flags = r.u8('Flags');
      const addresses: RedirectAddress[] = [];
      while (!r.atEnd) addresses.push(decodeAddress(r));
      const pdu: RedirectPdu = {
        type: 'Redirect',
        permanent: (flags & 0x80) !== 0,
        reuseSecuritySession: (flags & 0x40) !== 0,
        addresses,
      };
      if (flags & 0x3f) pdu.otherFlags = flags & 0x3f;
      return pdu;
    }
    case 0x04: {
      const status = r.u8('Status');
      const headersLen = r.uintvar('HeadersLen');
      const { contentType, headers } = decodeTypedHeaders(r, headersLen);
      return { type: 'Reply', status, contentType, headers, data: r.rest() };
    }
    case 0x05:
    case 0x08: {
      const sessionId = r.uintvar('SessionId');
      endOfPdu(r);
      return { type: code === 0x05 ? 'Disconnect' : 'Suspend', sessionId };
    }
    case 0x06:
    case 0x07: {
      const headersLen = r.uintvar('HeadersLen');
      const { contentType, headers } = decodeTypedHeaders(r, headersLen);
      return { type: code === 0x06 ? 'Push' : 'ConfirmedPush', contentType, headers, data: r.rest() };
    }
    case 0x09: {
      const sessionId = r.uintvar('SessionId');
      const capLen = r.uintvar('CapabilitiesLen');
      const capabilities = decodeCapabilities(r.sub(capLen, 'Capabilities'), true);
      const headers = headerBlock(r, cache);
      return { type: 'Resume', sessionId, capabilities, headers };
    }
    case 0x80: {
      const headersLen = r.uintvar('HeadersLen');
      const headers = decodeHeaders(r.sub(headersLen, 'Headers'));
      return { type: 'DataFragment', headers, data: r.rest() };
    }
    default:
      return r.fail(`unknown PDU type 0x${hex2(code)}`, at);
  }
}

function endOfPdu(r: Reader): void {
  if (!r.atEnd) r.fail(`${r.remaining} octets after the end of the PDU`);
}

function decodeTypedHeaders(r: Reader, headersLen: number, cache?: HeaderBlockCache): { contentType: ContentType; headers: WspHeader[] } {
  const hr = r.sub(headersLen, 'Headers');
  const contentType = decodeContentType(hr);
  const headers = headerBlock(hr, cache);
  return { contentType, headers };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function decodeAddress(r: Reader): RedirectAddress {
  const b = r.u8('Address flags');
  const len = b & 0x3f;
  const a: RedirectAddress = { address: '' };
  if (b & 0x80) a.bearerType = r.u8('Bearer type');
  if (b & 0x40) a.port = r.u16('Port number');
  a.address = formatAddress(r.bytes(len, 'Address'));
  return a;
}

function formatAddress(b: Buffer): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  return `hex:${b.toString('hex')}`;
}

function parseAddress(s: string): Buffer {
  if (s.startsWith('hex:')) return Buffer.from(s.slice(4), 'hex');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) return Buffer.from(s.split('.').map(Number));
  if (/^[0-9a-f:]+$/i.test(s) && s.split(':').length === 8) {
    const b = Buffer.alloc(16);
    s.split(':').forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  }
  throw new EncodeError(LAYER, `cannot encode address ${JSON.stringify(s)}`);
}

function encodeAddress(w: Writer, a: RedirectAddress): void {
  const bytes = parseAddress(a.address);
  if (bytes.length > 0x3f) throw new EncodeError(LAYER, 'address longer than 63 octets');
  w.u8((a.bearerType !== undefined ? 0x80 : 0) | (a.port !== undefined ? 0x40 : 0) | bytes.length);
  if (a.bearerType !== undefined) w.u8(a.bearerType);
  if (a.port !== undefined) w.u16(a.port);
  w.bytes(bytes);
}

// ---------------------------------------------------------------------------------------------
// Capabilities (§8.3)

/** `fromClient`: Connect/Resume carry method and page names; ConnectReply only the codes. */
export function decodeCapabilities(r: Reader, fromClient: boolean): Capability[] {
  const caps: Capability[] = [];
  while (!r.atEnd) {
    const start = r.pos;
    const len = r.uintvar('Capability length');
    const cr = r.sub(len, 'Capability');
    const cap = decodeCapability(cr, fromClient);
    cap.raw = r.buf.subarray(start, r.pos);
    caps.push(cap);
  }
  return caps;
}

function decodeCapability(r: Reader, fromClient: boolean): Capability {
  const o = r.peek();
  if (!(o & 0x80)) {
    const name = r.tokenText('Capability identifier');
    return { name, data: Buffer.from(r.rest()) };
  }
  const id = r.u8() & 0x7f;
  const row = CAPABILITY_BY_CODE.get(id);
  const name = row ? row[1] : `Capability-0x${hex2(id)}`;
  const at = r.pos;
  try {
    switch (row?.[1]) {
      case 'Client-SDU-Size':
      case 'Server-SDU-Size':
      case 'Client-Message-Size':
      case 'Server-Message-Size': {
        const value = r.uintvar(name);
        if (!r.atEnd) r.fail(`${name} has trailing octets`);
        return { name, value };
      }
      case 'Method-MOR':
      case 'Push-MOR': {
        const value = r.u8(name);
        if (!r.atEnd) r.fail(`${name} has trailing octets`);
        return { name, value };
      }
      case 'Protocol-Options': {
        const bytes = r.rest();
        if (bytes.length !== 1) r.fail('Protocol-Options of more than one octet', at);
        const value = bytes[0] as number;
        return { name, value, flags: PROTOCOL_OPTIONS.filter((f) => value & f[0]).map((f) => f[1]) };
      }
      case 'Extended-Methods': {
        const methods: { pduType: number; name?: string }[] = [];
        while (!r.atEnd) {
          const pduType = r.u8('PDU type');
          if (fromClient) methods.push({ pduType, name: r.textString('Method name') });
          else methods.push({ pduType });
        }
        return { name, methods };
      }
      case 'Header-Code-Pages': {
        const pages: { page: number; name?: string }[] = [];
        while (!r.atEnd) {
          const page = r.u8('Page code');
          if (fromClient) pages.push({ page, name: r.textString('Page name') });
          else pages.push({ page });
        }
        return { name, pages };
      }
      case 'Aliases': {
        const addresses: RedirectAddress[] = [];
        while (!r.atEnd) addresses.push(decodeAddress(r));
        return { name, addresses };
      }
    }
  } catch {
    // A value we cannot type is kept as octets (an unknown form is not fatal).
  }
  r.pos = at;
  return { name, data: Buffer.from(r.rest()) };
}

export function writeCapabilities(w: Writer, caps: readonly Capability[], fromClient: boolean): void {
  for (const c of caps) {
    if (c.raw && capabilityRawMatches(c, fromClient)) {
      w.bytes(c.raw);
      continue;
    }
    const cw = new Writer(LAYER, 32);
    encodeCapability(cw, c, fromClient);
    const b = cw.toBuffer();
    w.uintvar(b.length).bytes(b);
  }
}

function capabilityRawMatches(c: Capability, fromClient: boolean): boolean {
  try {
    const d = decodeCapabilities(new Reader(c.raw as Buffer, LAYER), fromClient);
    return d.length === 1 && sameCapability(d[0] as Capability, c);
  } catch {
    return false;
  }
}

function sameCapability(a: Capability, b: Capability): boolean {
  const strip = (c: Capability): string =>
    JSON.stringify({ ...c, raw: undefined, flags: undefined, data: c.data?.toString('hex') });
  return strip(a) === strip(b);
}

function encodeCapability(w: Writer, c: Capability, fromClient: boolean): void {
  const row = CAPABILITY_BY_NAME.get(c.name.toLowerCase())?.[0];
  const unknown = /^Capability-0x([0-9a-f]{2})$/i.exec(c.name);
  if (row) w.shortInteger(row[0]);
  else if (unknown) w.shortInteger(parseInt(unknown[1] as string, 16));
  else w.tokenText(c.name);
  if (c.data) {
    w.bytes(c.data);
    return;
  }
  const name = row?.[1];
  switch (name) {
    case 'Client-SDU-Size':
    case 'Server-SDU-Size':
    case 'Client-Message-Size':
    case 'Server-Message-Size':
      w.uintvar(need(c.value, name));
      return;
    case 'Method-MOR':
    case 'Push-MOR':
      w.u8(need(c.value, name));
      return;
    case 'Protocol-Options': {
      let v = c.value;
      if (v === undefined && c.flags) v = PROTOCOL_OPTIONS.filter((f) => c.flags?.includes(f[1])).reduce((a, f) => a | f[0], 0);
      w.u8(need(v, name));
      return;
    }
    case 'Extended-Methods':
      for (const m of c.methods ?? []) {
        w.u8(m.pduType);
        if (fromClient) w.textString(m.name ?? '');
      }
      return;
    case 'Header-Code-Pages':
      for (const p of c.pages ?? []) {
        w.u8(p.page);
        if (fromClient) w.textString(p.name ?? '');
      }
      return;
    case 'Aliases':
      for (const a of c.addresses ?? []) encodeAddress(w, a);
      return;
    default:
      if (c.value !== undefined) w.uintvar(c.value);
  }
}

function need(v: number | undefined, name: string): number {
  if (v === undefined) throw new EncodeError(LAYER, `capability ${name} needs a value`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const TYPE_CODES: Record<string, number> = {
  Connect: 0x01,
  ConnectReply: 0x02,
  Redirect: 0x03,
  Reply: 0x04,
  Disconnect: 0x05,
  Push: 0x06,
  ConfirmedPush: 0x07,
  Suspend: 0x08,
  Resume: 0x09,
  Get: 0x40,
  Options: 0x41,
  Head: 0x42,
  Delete: 0x43,
  Trace: 0x44,
  Post: 0x60,
  Put: 0x61,
  DataFragment: 0x80,
};

const toBuf = (d: Buffer | Uint8Array | string | undefined): Buffer =>
  d === undefined ? Buffer.alloc(0) : typeof d === 'string' ? Buffer.from(d, 'utf8') : Buffer.isBuffer(d) ? d : Buffer.from(d);

export function encodeWsp(pdu: WspPduInput | WspPdu, opts: EncodeWspOptions = {}): Buffer {
  const version = opts.encodingVersion ?? DEFAULT_ENCODING_VERSION;
  const w = new Writer(LAYER, 256);
  if (opts.connectionless) {
    if (pdu.tid === undefined) throw new EncodeError(LAYER, 'connectionless PDU needs a tid');
    w.u8(pdu.tid);
  }
  const p = pdu as WspPduInput;
  let tail: Buffer | undefined;
  switch (p.type) {
    case 'Connect': {
      const m = /^(\d+)\.(\d+)$/.exec(p.version);
      if (!m || Number(m[1]) > 15 || Number(m[2]) > 15) throw new EncodeError(LAYER, `bad WSP version ${p.version}`);
      const caps = capsBytes(p.capabilities ?? [], true);
      const hdrs = headerBytes(p.headers ?? [], version);
      w.u8(0x01).u8((Number(m[1]) << 4) | Number(m[2]));
      w.uintvar(caps.length).uintvar(hdrs.length).bytes(caps).bytes(hdrs);
      break;
    }
    case 'ConnectReply': {
      const caps = capsBytes(p.capabilities ?? [], false);
      const hdrs = headerBytes(p.headers ?? [], version);
      w.u8(0x02).uintvar(p.sessionId).uintvar(caps.length).uintvar(hdrs.length).bytes(caps).bytes(hdrs);
      break;
    }
    case 'Redirect':
      w.u8(0x03).u8((p.permanent ? 0x80 : 0) | (p.reuseSecuritySession ? 0x40 : 0) | ((p.otherFlags ?? 0) & 0x3f));
      for (const a of p.addresses) encodeAddress(w, a);
      break;
    case 'Reply': {
      const hb = typedHeaderBytes(p.contentType, p.headers ?? [], version);
      w.u8(0x04).u8(p.status).uintvar(hb.length).bytes(hb);
      tail = toBuf(p.data);
      break;
    }
    case 'Disconnect':
    case 'Suspend':
      w.u8(TYPE_CODES[p.type] as number).uintvar(p.sessionId);
      break;
    case 'Push':
    case 'ConfirmedPush': {
      const hb = typedHeaderBytes(p.contentType, p.headers ?? [], version);
      w.u8(TYPE_CODES[p.type] as number).uintvar(hb.length).bytes(hb);
      tail = toBuf(p.data);
      break;
    }
    case 'Resume': {
      const caps = capsBytes(p.capabilities ?? [], true);
      w.u8(0x09).uintvar(p.sessionId).uintvar(caps.length).bytes(caps).bytes(headerBytes(p.headers ?? [], version));
      break;
    }
    case 'Get':
    case 'Options':
    case 'Head':
    case 'Delete':
    case 'Trace':
    case 'ExtendedGet': {
      const code = familyCode(p.type, p.pduType, 0x50, 0x5f);
      const uri = Buffer.from(p.uri, 'latin1');
      w.u8(code).uintvar(uri.length).bytes(uri).bytes(headerBytes(p.headers ?? [], version));
      break;
    }
    case 'Post':
    case 'Put':
    case 'ExtendedPost': {
      const code = familyCode(p.type, p.pduType, 0x70, 0x7f);
      const uri = Buffer.from(p.uri, 'latin1');
      const hb = typedHeaderBytes(p.contentType, p.headers ?? [], version);
      w.u8(code).uintvar(uri.length).uintvar(hb.length).bytes(uri).bytes(hb);
      tail = toBuf(p.data);
      break;
    }
    case 'DataFragment': {
      const hb = headerBytes(p.headers ?? [], version);
      w.u8(0x80).uintvar(hb.length).bytes(hb);
      tail = toBuf(p.data);
      break;
    }
    default:
      throw new EncodeError(LAYER, `unknown PDU type ${String((p as { type: unknown }).type)}`);
  }
  return tail && tail.length > 0 ? Buffer.concat([w.toBuffer(), tail]) : w.toBuffer();
}

/**
 * The parts of a Reply (WAP-230 §8.2.3.3: Status, HeadersLen, ContentType and Headers, Data) a
 * server may keep: the header block, Content-Type first, as `encodeWsp` writes it. With
 * `encodeReplyWith` the two give the same octets as `encodeWsp` of the whole Reply.
 */
export function replyHeaderBlock(contentType: ContentType | string, headers: readonly HeaderInput[], version: string | number = DEFAULT_ENCODING_VERSION): Buffer {
  return typedHeaderBytes(contentType, headers, version);
}

/** A Reply from its status code (WAP-230 Table 36), a header block (`replyHeaderBlock`) and its data: one buffer, written once. */
export function encodeReplyWith(status: number, headerBlock: Buffer, data: Buffer): Buffer {
  const w = new Writer(LAYER, 2 + uintvarLength(headerBlock.length) + headerBlock.length + data.length);
  return w.u8(0x04).u8(status).uintvar(headerBlock.length).bytes(headerBlock).bytes(data).toBuffer();
}

/**
 * The part of a ConnectReply after its Server-SessionId (WAP-230 §8.2.2.2: CapabilitiesLen,
 * HeadersLen, Capabilities, Headers), which is the same for every session that negotiated the
 * same capabilities; `encodeConnectReplyWith` puts a session id in front.
 */
export function connectReplyTail(capabilities: readonly Capability[], headers: readonly HeaderInput[], version: string | number = DEFAULT_ENCODING_VERSION): Buffer {
  const caps = capsBytes(capabilities, false);
  const hdrs = headerBytes(headers, version);
  const w = new Writer(LAYER, uintvarLength(caps.length) + uintvarLength(hdrs.length) + caps.length + hdrs.length);
  return w.uintvar(caps.length).uintvar(hdrs.length).bytes(caps).bytes(hdrs).toBuffer();
}

/** A ConnectReply from a session id and a `connectReplyTail`: the same octets as `encodeWsp` of the whole PDU. */
export function encodeConnectReplyWith(sessionId: number, tail: Buffer): Buffer {
  const w = new Writer(LAYER, 1 + uintvarLength(sessionId) + tail.length);
  return w.u8(0x02).uintvar(sessionId).bytes(tail).toBuffer();
}

function familyCode(type: string, pduType: number | undefined, lo: number, hi: number): number {
  if (type.startsWith('Extended')) {
    if (pduType === undefined || pduType < lo || pduType > hi) {
      throw new EncodeError(LAYER, `${type} needs pduType 0x${hex2(lo)}-0x${hex2(hi)}`);
    }
    return pduType;
  }
  return TYPE_CODES[type] as number;
}

function capsBytes(caps: readonly Capability[], fromClient: boolean): Buffer {
  const w = new Writer(LAYER, 64);
  writeCapabilities(w, caps, fromClient);
  return w.toBuffer();
}

function headerBytes(headers: readonly HeaderInput[], version: string | number): Buffer {
  const w = new Writer(LAYER, 128);
  writeHeaders(w, headers, version);
  return w.toBuffer();
}

function typedHeaderBytes(ct: ContentType | string, headers: readonly HeaderInput[], version: string | number): Buffer {
  const w = new Writer(LAYER, 128);
  encodeContentType(w, ct, version);
  writeHeaders(w, headers, version);
  return w.toBuffer();
}
