/**
 * Adapts the real lower layers to the WSP server's ports (ports.ts): the WTP responder
 * (src/wtp, driven with decoded PDUs and a textual peer key) and the WSP/MMS codecs
 * (src/codec/wsp, src/codec/mms). Pure translation, no state beyond the responder itself.
 */
import type { Config } from '../config/schema';
import { DecodeError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import { decodeDatagram, encodeWtp } from '../codec/wtp/codec';
import { decodeWsp, encodeWsp, type Capability, type WspPdu } from '../codec/wsp/pdu';
import type { WspHeader } from '../codec/wsp/headers';
import { formatContentType } from '../codec/wsp/content-type';
import { PROTOCOL_OPTIONS } from '../codec/wsp/tables';
import { decodeMms, summarizeMms } from '../codec/mms';
import { WtpResponder, type WtpAction } from '../wtp';
import type { HeaderList } from '../bridge/headers';
import { httpToWspStatus } from '../codec/wsp/tables';
import type { Peer } from '../edge/udp-bearer';
import type { ProposedCapabilities } from './capabilities';
import type { ConnectReplyOut, ReplyOut, WspCodecPort, WspIn, WtpIndication, WtpOutput, WtpPort } from './ports';

// ---------------------------------------------------------------- peers

/** The responder's peer key: "a.b.c.d:port" or "[v6]:port". */
export const wtpPeerKey = (p: Peer): string => (p.family === 6 ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`);

export function parseWtpPeerKey(k: string): Peer {
  const i = k.lastIndexOf(':');
  const host = k.slice(0, i);
  const port = Number(k.slice(i + 1));
  if (host.startsWith('[')) return { address: host.slice(1, -1), port, family: 6 };
  return { address: host, port, family: 4 };
}

// ---------------------------------------------------------------- WTP

export function createWtpPort(deps: { config: Config; metrics: Metrics; logger: Logger }): WtpPort {
  const r = new WtpResponder({ config: deps.config, metrics: deps.metrics, logger: deps.logger });
  return new WtpAdapter(r);
}

export class WtpAdapter implements WtpPort {
  constructor(readonly responder: WtpResponder) {}

  get size(): number {
    return this.responder.size;
  }

  receive(buf: Buffer, peer: Peer, now: number): WtpOutput {
    const key = wtpPeerKey(peer);
    let pdus;
    try {
      pdus = decodeDatagram(buf);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      const tid = buf.length >= 3 ? buf.readUInt16BE(1) : undefined;
      return { ...convert(this.responder.receiveMalformed(key, tid, now, buf.length)), decodeErrors: 1 };
    }
    const acts: WtpAction[] = [];
    for (const p of pdus) acts.push(...this.responder.receive(p, key, now));
    return convert(acts);
  }

  tick(now: number): WtpOutput {
    return convert(this.responder.tick(now));
  }
  nextDeadline(): number | undefined {
    return this.responder.nextDeadline();
  }
  resultReq(txn: string, data: Buffer, now: number): WtpOutput {
    return convert(this.responder.resultReq(txn, data, now));
  }
  abortReq(txn: string, reason: number, now: number): WtpOutput {
    return convert(this.responder.abortReq(txn, reason, now));
  }
  invokeRes(txn: string, now: number): WtpOutput {
    return convert(this.responder.invokeRes(txn, now));
  }
  maxResultSize(txn: string): number {
    return this.responder.maxResultSize(txn);
  }
}

function convert(actions: WtpAction[]): WtpOutput {
  const out: WtpOutput = { send: [], indications: [] };
  for (const a of actions) {
    switch (a.kind) {
      case 'send': {
        const peer = parseWtpPeerKey(a.peer);
        for (const p of a.pdus) out.send.push({ buf: encodeWtp(p), peer });
        break;
      }
      case 'invokeInd':
        out.indications.push({ ind: 'TR-Invoke.ind', txn: a.txId, peer: parseWtpPeerKey(a.peer), tcl: a.tcl, data: a.data, uack: a.uack });
        break;
      case 'resultCnf':
        out.indications.push({ ind: 'TR-Result.cnf', txn: a.txId });
        break;
      case 'abortInd':
        out.indications.push({ ind: 'TR-Abort.ind', txn: a.txId, user: a.abortType === 'user', reason: a.reason } as WtpIndication);
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- WSP

const textHeaders = (h: readonly WspHeader[]): HeaderList => h.filter((x) => !x.opaque).map((x) => [x.name, x.value]);

function versionCode(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+)\.(\d+)/.exec(v.trim());
  return m ? (Number(m[1]) << 4) | Math.min(Number(m[2]), 15) : undefined;
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
      return { pdu: 'Method', method: METHOD_NAME[pdu.type] ?? `EXTENDED-0x${(pdu.pduType ?? 0).toString(16)}`, uri: pdu.uri, headers: textHeaders(pdu.headers) };
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

const verText = (v: number): string => `${v >> 4}.${v & 0x0f}`;

export function createWspCodec(): WspCodecPort {
  return {
    decode: (buf) => toWspIn(decodeWsp(buf)),
    encodeConnectReply: (r: ConnectReplyOut, ver: number) =>
      encodeWsp(
        {
          type: 'ConnectReply',
          sessionId: r.sessionId,
          capabilities: [
            { name: 'Client-SDU-Size', value: r.caps.clientSduSize },
            { name: 'Server-SDU-Size', value: r.caps.serverSduSize },
            ...(r.caps.protocolOptions !== undefined ? [{ name: 'Protocol-Options', value: r.caps.protocolOptions }] : []),
            ...(r.caps.methodMor !== undefined ? [{ name: 'Method-MOR', value: r.caps.methodMor }] : []),
          ],
          headers: r.headers.map(([name, value]) => ({ name, value })),
        },
        { encodingVersion: verText(ver) },
      ),
    encodeReply: (r: ReplyOut, ver: number) => {
      const pdu = (contentType: string, headers: HeaderList) =>
        encodeWsp(
          { type: 'Reply', status: httpToWspStatus(r.status), contentType, headers: headers.map(([name, value]) => ({ name, value })), data: r.body },
          { encodingVersion: verText(ver) },
        );
      try {
        return pdu(r.contentType, r.headers);
      } catch {
        // a header or content type from upstream that WSP cannot carry: keep the body, drop the extras
        try {
          return pdu(r.contentType, []);
        } catch {
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
