/**
 * Adapts the WSP/MMS codecs (src/codec/wsp, src/codec/mms) to the WSP server's codec port
 * (ports.ts). Pure translation. (The WTP side needs no adapter: the server takes WTP's own
 * port, src/wtp/port.ts, as it is.)
 */
import { EncodeError } from '../core/errors';
import { Memo } from '../core/bounded';
import { connectReplyTail, decodeWsp, encodeConnectReplyWith, encodeReplyWith, encodeWsp, replyHeaderBlock, type Capability, type WspPdu } from '../codec/wsp/pdu';
import { HeaderBlockCache, type WspHeader } from '../codec/wsp/headers';
import { formatContentType } from '../codec/wsp/content-type';
import { PROTOCOL_OPTIONS, httpToWspStatus, versionCode as tableVersionCode, versionText } from '../codec/wsp/tables';
import { decodeMms, summarizeMms } from '../codec/mms';
import type { HeaderList } from '../core/http';
import type { ProposedCapabilities } from './capabilities';
import type { ConnectReplyOut, ReplyOut, WspCodecPort, WspIn } from './ports';

// ---------------------------------------------------------------- WSP

/** Encoded ConnectReply tails and Reply header blocks kept for reuse (each). */
const ENCODED_KEPT = 64;

const toText = (h: readonly WspHeader[]): HeaderList => h.filter((x) => !x.opaque).map((x) => [x.name, x.value]);

/**
 * The text form of the shared header lists of the decoder's HeaderBlockCache, made once per list
 * (frozen too: the server and the bridge read header lists and build new ones, never change them).
 */
const textOfShared = new WeakMap<readonly WspHeader[], HeaderList>();

function textHeaders(h: readonly WspHeader[]): HeaderList {
  if (!Object.isFrozen(h)) return toText(h);
  let t = textOfShared.get(h);
  if (t === undefined) {
    const list = toText(h);
    for (const x of list) Object.freeze(x);
    textOfShared.set(h, (t = Object.freeze(list) as HeaderList));
  }
  return t;
}

/** A version as the peer wrote it ("1.3", tolerating trailing text), undefined when absent or unreadable. */
function versionCode(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+\.\d+)/.exec(v.trim());
  return m ? tableVersionCode(m[1] as string) : undefined;
}

function proposed(caps: readonly Capability[]): ProposedCapabilities {
  const p: ProposedCapabilities = { others: [] };
  for (const c of caps) {
    switch (c.name) {
      case 'Client-SDU-Size':
        if (c.value !== undefined) p.clientSduSize = c.value;
        break;
      case 'Server-SDU-Size':
        if (c.value !== undefined) p.serverSduSize = c.value;
        break;
      case 'Protocol-Options': {
        let v = c.value;
        if (v === undefined && c.flags) v = PROTOCOL_OPTIONS.filter((f) => c.flags?.includes(f[1])).reduce((a, f) => a | f[0], 0);
        if (v !== undefined) p.protocolOptions = v;
        break;
      }
      case 'Method-MOR':
        if (c.value !== undefined) p.methodMor = c.value;
        break;
      case 'Push-MOR':
        if (c.value !== undefined) p.pushMor = c.value;
        break;
      default:
        p.others?.push(c.name);
    }
  }
  return p;
}

const METHOD_NAME: Record<string, string> = {
  Get: 'GET',
  Options: 'OPTIONS',
  Head: 'HEAD',
  Delete: 'DELETE',
  Trace: 'TRACE',
  Post: 'POST',
  Put: 'PUT',
};

export function toWspIn(pdu: WspPdu): WspIn {
  switch (pdu.type) {
    case 'Connect': {
      const ev = pdu.headers.find((h) => h.name.toLowerCase() === 'encoding-version');
      return { pdu: 'Connect', version: versionCode(pdu.version) ?? 0x10, caps: proposed(pdu.capabilities), headers: textHeaders(pdu.headers), encodingVersion: versionCode(ev?.value) };
    }
    case 'Get':
    case 'Options':
    case 'Head':
    case 'Delete':
    case 'Trace':
    case 'ExtendedGet':
      // the same shape as a Post's (absent fields undefined): one shape through the server's method path
      return { pdu: 'Method', method: METHOD_NAME[pdu.type] ?? `EXTENDED-0x${(pdu.pduType ?? 0).toString(16)}`, uri: pdu.uri, headers: textHeaders(pdu.headers), contentType: undefined, body: undefined };
    case 'Post':
    case 'Put':
    case 'ExtendedPost':
      return {
        pdu: 'Method',
        method: METHOD_NAME[pdu.type] ?? `EXTENDED-0x${(pdu.pduType ?? 0).toString(16)}`,
        uri: pdu.uri,
        headers: textHeaders(pdu.headers),
        contentType: formatContentType(pdu.contentType),
        body: pdu.data,
      };
    case 'Disconnect':
      return { pdu: 'Disconnect', sessionId: pdu.sessionId };
    case 'Suspend':
      return { pdu: 'Suspend', sessionId: pdu.sessionId };
    case 'Resume':
      return {
        pdu: 'Resume',
        sessionId: pdu.sessionId,
        caps: pdu.capabilities.length ? proposed(pdu.capabilities) : undefined,
        headers: pdu.headers.length ? textHeaders(pdu.headers) : undefined,
      };
    default:
      return { pdu: 'Other', type: 0 };
  }
}

/** The Connect PDU type (WAP-230 §8.2.1, Table 34). */
const CONNECT_PDU = 0x01;
/** Distinct Connects kept decoded (the handset models seen), and the largest kept. */
const CONNECTS_KEPT = 64;
const CONNECT_KEPT_OCTETS = 512;

/** A decoded Connect made read-only throughout, to be shared by every session that sends the same octets. */
function frozenConnect(pdu: WspIn): WspIn {
  if (pdu.pdu === 'Connect') {
    if (pdu.caps.others) Object.freeze(pdu.caps.others);
    Object.freeze(pdu.caps);
    for (const h of pdu.headers) Object.freeze(h);
    Object.freeze(pdu.headers);
  }
  return Object.freeze(pdu);
}

/**
 * `onEncodeFallback`: told when a Reply could not be encoded as given and went out without the
 * headers (or the content type) WSP cannot carry, so the loss is logged, not silent.
 */
export function createWspCodec(opts: { onEncodeFallback?: (err: EncodeError, dropped: 'headers' | 'content-type') => void } = {}): WspCodecPort {
  // the header blocks a handset repeats (Connect's, and every method's) are decoded once
  const decodeOptions = { headerCache: new HeaderBlockCache() };
  // What recurs in what we send is encoded once: the ConnectReply after its session id, for each
  // set of negotiated capabilities (a few: the handset models), and a Reply's header block for
  // each Content-Type when no other header goes with it (what an MMSC answers, mostly). Each at
  // most ENCODED_KEPT, all forgotten at once when full (Memo).
  const connectTails = new Memo<string, Buffer>(ENCODED_KEPT);
  const replyBlocks = new Memo<string, Buffer>(ENCODED_KEPT);
  // A Connect (WAP-230 §8.2.2.1) carries no session id or TID of its own: a handset model sends
  // the same octets every time, so what it decodes to (version, capabilities, headers) is made
  // once per distinct Connect and shared, frozen (the server reads it and builds new objects).
  // Only Connects that decoded are kept; at most CONNECTS_KEPT, all forgotten at once when full.
  const connects = new Memo<string, WspIn>(CONNECTS_KEPT);
  return {
    decode: (buf) => {
      if (buf.length === 0 || buf[0] !== CONNECT_PDU || buf.length > CONNECT_KEPT_OCTETS) return toWspIn(decodeWsp(buf, decodeOptions));
      const key = buf.toString('latin1');
      let pdu = connects.get(key);
      if (pdu === undefined) pdu = connects.set(key, frozenConnect(toWspIn(decodeWsp(buf, decodeOptions))));
      return pdu;
    },
    encodeConnectReply: (r: ConnectReplyOut, ver: number) => {
      const c = r.caps;
      const h = r.headers;
      let key = `${ver} ${c.clientSduSize} ${c.serverSduSize} ${c.protocolOptions ?? '-'} ${c.methodMor ?? '-'}`;
      for (let i = 0; i < h.length; i++) key += `\n${(h[i] as HeaderList[number])[0]}\n${(h[i] as HeaderList[number])[1]}`;
      let tail = connectTails.get(key);
      if (tail === undefined) {
        const capabilities: Capability[] = [
          { name: 'Client-SDU-Size', value: c.clientSduSize },
          { name: 'Server-SDU-Size', value: c.serverSduSize },
        ];
        if (c.protocolOptions !== undefined) capabilities.push({ name: 'Protocol-Options', value: c.protocolOptions });
        if (c.methodMor !== undefined) capabilities.push({ name: 'Method-MOR', value: c.methodMor });
        tail = connectTails.set(key, connectReplyTail(capabilities, h.map(([name, value]) => ({ name, value })), versionText(ver)));
      }
      return encodeConnectReplyWith(r.sessionId, tail);
    },
    encodeReply: (r: ReplyOut, ver: number) => {
      if (r.headers.length === 0) {
        const key = `${ver} ${r.contentType}`;
        let block = replyBlocks.get(key);
        if (block === undefined) {
          try {
            block = replyBlocks.set(key, replyHeaderBlock(r.contentType, [], versionText(ver)));
          } catch (err) {
            // a content type WSP cannot carry: the general path below says so and falls back
            if (!(err instanceof EncodeError)) throw err;
          }
        }
        if (block !== undefined) return encodeReplyWith(httpToWspStatus(r.status), block, r.body);
      }
      const pdu = (contentType: string, headers: HeaderList) =>
        encodeWsp(
          { type: 'Reply', status: httpToWspStatus(r.status), contentType, headers: headers.map(([name, value]) => ({ name, value })), data: r.body },
          { encodingVersion: versionText(ver) },
        );
      try {
        return pdu(r.contentType, r.headers);
      } catch (err) {
        // a header or content type from upstream that WSP cannot carry: keep the body, drop the extras
        if (!(err instanceof EncodeError)) throw err;
        try {
          const out = pdu(r.contentType, []);
          opts.onEncodeFallback?.(err, 'headers');
          return out;
        } catch (err2) {
          if (!(err2 instanceof EncodeError)) throw err2;
          opts.onEncodeFallback?.(err2, 'content-type');
          return pdu('application/octet-stream', []);
        }
      }
    },
    describeMms: (body: Buffer) => {
      try {
        const s = summarizeMms(decodeMms(body));
        const out: { type?: string; transactionId?: string } = {};
        if (typeof s.type === 'string') out.type = s.type;
        if (typeof s.transactionId === 'string') out.transactionId = s.transactionId;
        return out;
      } catch {
        return undefined;
      }
    },
  };
}
