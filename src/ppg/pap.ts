/**
 * PAP, the Push Access Protocol (WAP-247-PAP-20010429-a, "PAP 2.0"; WAP-164-PAP-19991108-a,
 * "PAP 1.0"): the XML control documents a push initiator and the PPG exchange, both ways.
 *
 * `decodePap(xml)` turns any PAP document into a typed message (push-message, cancel-message,
 * statusquery-message, ccq-message, resultnotification-message and every response), so the PPG
 * reads requests and `wapgw push` / the demo MMSC read answers with the same code.
 * `encodePap(msg, version)` writes one back. Pure: no I/O, no clock (timestamps are ms values).
 *
 * Addresses follow WAP-249-PPGService §7.1: `WAPPUSH=<client>/TYPE=<type>[@<ppg>]` with TYPE
 * PLMN (a global phone number), IPv4 or IPv6; user-defined addresses (TYPE=USER) are refused
 * with 2002 and a reason. Every refusal is a `PapError` carrying the PAP status code.
 */
import { WapgwError } from '../core/errors';
import { normalizeAddress, parseAddress } from '../core/net';
import { parseXmlDocument, type XmlElement } from '../codec/xml';

// ---------------------------------------------------------------------------------------------
// Status codes, WAP-247 §9.13 (1xxx success, 2xxx client errors, 3xxx server errors) and §9.14
// (4xxx service failures, 5xxx mobile client aborted). Data rows; the lookups derive from them.
export const PAP_CODES = [
  [1000, 'OK'],
  [1001, 'Accepted for Processing'],
  [2000, 'Bad Request'],
  [2001, 'Forbidden'],
  [2002, 'Address Error'],
  [2003, 'Address Not Found'],
  [2004, 'Push ID Not Found'],
  [2005, 'Capabilities Mismatch'],
  [2006, 'Required Capabilities Not Supported'],
  [2007, 'Duplicate Push ID'],
  [2008, 'Cancellation Not Possible'],
  [3000, 'Internal Server Error'],
  [3001, 'Not Implemented'],
  [3002, 'Version Not Supported'],
  [3003, 'Not Possible'],
  [3004, 'Capability Matching Not Supported'],
  [3005, 'Multiple Addresses Not Supported'],
  [3006, 'Transformation Failure'],
  [3007, 'Specified Delivery Method Not Possible'],
  [3008, 'Capabilities Not Available'],
  [3009, 'Required Network Not Available'],
  [3010, 'Required Bearer Not Available'],
  [3011, 'Replacement Not Supported'],
  [4000, 'Service Failure'],
  [4001, 'Service Unavailable'],
  [5000, 'Mobile Client Aborted'],
] as const;

export type PapCode = number;
export const PAP_CODE_NAME = new Map<number, string>(PAP_CODES.map(([c, n]) => [c, n]));

/** The name of a code; 5xxx codes beyond 5000 are OTA abort reasons (WAP-247 §9.14.5). */
export function papCodeName(code: number): string {
  return PAP_CODE_NAME.get(code) ?? (code >= 5000 && code < 6000 ? 'Mobile Client Aborted' : code >= 4000 && code < 5000 ? 'Service Failure' : 'Unknown');
}

export const isPapSuccess = (code: number): boolean => code >= 1000 && code < 2000;

/** A PAP-level refusal: the message the initiator gets says `papCode` and this message. */
export class PapError extends WapgwError {
  readonly papCode: number;
  /** For badmessage-response: the part of the document that was wrong. */
  readonly fragment: string | undefined;
  constructor(papCode: number, message: string, fragment?: string) {
    super(`ERR_PAP_${papCode}`, message);
    this.papCode = papCode;
    this.fragment = fragment;
  }
}

// ---------------------------------------------------------------------------------------------
// Message states, WAP-247 §9.6 (resultnotification / statusquery "message-state").
export const MESSAGE_STATES = ['undeliverable', 'pending', 'expired', 'delivered', 'aborted', 'timeout', 'cancelled', 'unknown'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

export type PapVersion = '1.0' | '2.0';
const DOCTYPE: Record<PapVersion, string> = {
  '1.0': '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">',
  '2.0': '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">',
};

// ---------------------------------------------------------------------------------------------
// Addresses (WAP-249 §7.1)

export type AddressType = 'PLMN' | 'IPv4' | 'IPv6';
export interface PapAddress {
  /** The address-value as the initiator wrote it (echoed in responses). */
  value: string;
  type: AddressType;
  /** PLMN: the global number with its '+' and digits only; IPv4/IPv6: the address in canonical form. */
  client: string;
  ppg?: string;
}

/** `WAPPUSH=+4917012345/TYPE=PLMN@ppg.example` -> a typed address, or PapError 2002 with the reason. */
export function parsePapAddress(value: string): PapAddress {
  const bad = (why: string): never => {
    throw new PapError(2002, `address "${value.slice(0, 120)}": ${why}`, value.slice(0, 200));
  };
  const m = /^WAPPUSH=([^/]*)\/TYPE=([A-Za-z0-9]+)(?:@(.*))?$/.exec(value.trim());
  if (!m) bad('not WAPPUSH=<client>/TYPE=<PLMN|IPv4|IPv6>[@ppg]');
  const [, rawClient = '', rawType = '', ppg] = m as RegExpExecArray;
  let client: string;
  try {
    client = decodeURIComponent(rawClient);
  } catch {
    return bad('bad %-escape in the client address');
  }
  const type = rawType.toUpperCase();
  if (type === 'USER') bad('user-defined addresses (TYPE=USER) are not supported; use PLMN, IPv4 or IPv6');
  if (type === 'PLMN') {
    // global-phone-number: "+" digits, with visual separators ("-", ".") allowed and dropped.
    const digits = client.replace(/[-.\s]/g, '');
    if (!/^\+?[0-9]{3,20}$/.test(digits)) bad(`"${client}" is not a phone number (+ and 3..20 digits)`);
    const out: PapAddress = { value, type: 'PLMN', client: digits };
    if (ppg) out.ppg = ppg;
    return out;
  }
  if (type === 'IPV4' || type === 'IPV6') {
    const p = parseAddress(client);
    const want = type === 'IPV4' ? 4 : 6;
    if (!p || p.family !== want) bad(`"${client}" is not an IPv${want} address`);
    const out: PapAddress = { value, type: want === 4 ? 'IPv4' : 'IPv6', client: normalizeAddress(client) };
    if (ppg) out.ppg = ppg;
    return out;
  }
  return bad(`address type "${rawType}" is not supported; use PLMN, IPv4 or IPv6`);
}

/** The address-value for a client: the inverse of parsePapAddress. */
export function formatPapAddress(type: AddressType, client: string, ppg?: string): string {
  return `WAPPUSH=${client}/TYPE=${type}${ppg ? `@${ppg}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Messages (WAP-247 §9.2..9.12)

export interface QualityOfService {
  priority?: 'high' | 'medium' | 'low';
  deliveryMethod?: 'confirmed' | 'preferconfirmed' | 'unconfirmed' | 'notspecified';
  network?: string;
  networkRequired?: boolean;
  bearer?: string;
  bearerRequired?: boolean;
}

export interface ResponseResult {
  code: number;
  desc?: string;
}

export interface PushMessage {
  kind: 'push-message';
  pushId: string;
  /** PAP 2.0 §9.2: replace a pending push of the same initiator. */
  replacePushId?: string;
  replaceMethod?: 'pending-only' | 'all';
  deliverBefore?: number;
  deliverAfter?: number;
  sourceReference?: string;
  ppgNotifyRequestedTo?: string;
  progressNotesRequested?: boolean;
  addresses: PapAddress[];
  qos?: QualityOfService;
}
export interface CancelMessage {
  kind: 'cancel-message';
  pushId: string;
  addresses: PapAddress[];
}
export interface StatusQueryMessage {
  kind: 'statusquery-message';
  pushId: string;
  addresses: PapAddress[];
}
export interface CcqMessage {
  kind: 'ccq-message';
  queryId: string;
  appId?: string;
  address: PapAddress;
}
export interface ResultNotificationMessage {
  kind: 'resultnotification-message';
  pushId: string;
  senderAddress?: string;
  senderName?: string;
  receivedTime?: number;
  eventTime?: number;
  messageState: MessageState;
  code: number;
  desc?: string;
  address: string;
  qos?: QualityOfService;
}
export interface ResultNotificationResponse {
  kind: 'resultnotification-response';
  pushId: string;
  address?: string;
  result: ResponseResult;
}
export interface PushResponse {
  kind: 'push-response';
  pushId: string;
  senderAddress?: string;
  senderName?: string;
  replyTime?: number;
  result: ResponseResult;
}
export interface CancelResult extends ResponseResult {
  addresses: string[];
}
export interface CancelResponse {
  kind: 'cancel-response';
  pushId: string;
  results: CancelResult[];
}
export interface StatusQueryResult extends ResponseResult {
  messageState: MessageState;
  eventTime?: number;
  addresses: string[];
}
export interface StatusQueryResponse {
  kind: 'statusquery-response';
  pushId: string;
  results: StatusQueryResult[];
}
export interface CcqResponse {
  kind: 'ccq-response';
  queryId: string;
  code: number;
  desc?: string;
  address?: string;
}
export interface BadMessageResponse {
  kind: 'badmessage-response';
  code: number;
  desc?: string;
  badMessageFragment?: string;
}

export type PapRequest = PushMessage | CancelMessage | StatusQueryMessage | CcqMessage | ResultNotificationResponse;
export type PapResponse = PushResponse | CancelResponse | StatusQueryResponse | CcqResponse | ResultNotificationMessage | BadMessageResponse;
export type PapMessage = PapRequest | PapResponse;

export interface PapDocument {
  version: PapVersion;
  productName?: string;
  message: PapMessage;
}

// ---------------------------------------------------------------------------------------------
// Timestamps: WAP-247 §9.1 "YYYY-MM-DDThh:mm:ssZ" (UTC, no fraction).

export function parsePapTime(s: string, attr: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(s.trim());
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) {
    throw new PapError(2000, `${attr}="${s.slice(0, 40)}" is not a PAP timestamp (YYYY-MM-DDThh:mm:ssZ)`, `${attr}="${s.slice(0, 40)}"`);
  }
  return t;
}

export function formatPapTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface PapLimits {
  maxBytes?: number;
  maxAddresses?: number;
}

const DEFAULT_LIMITS = { maxBytes: 65536, maxAddresses: 1000 };

/** Which attributes each element may carry (WAP-247 §9 DTD); others are a 2000 with the name. */
const ATTRS: Record<string, readonly string[]> = {
  pap: ['product-name'],
  'push-message': ['push-id', 'replace-push-id', 'replace-method', 'deliver-before-timestamp', 'deliver-after-timestamp', 'source-reference', 'ppg-notify-requested-to', 'progress-notes-requested'],
  address: ['address-value'],
  'quality-of-service': ['priority', 'delivery-method', 'network', 'network-required', 'bearer', 'bearer-required'],
  'push-response': ['push-id', 'sender-address', 'sender-name', 'reply-time'],
  'progress-note': ['stage', 'note', 'time'],
  'response-result': ['code', 'desc'],
  'cancel-message': ['push-id'],
  'cancel-response': ['push-id'],
  'cancel-result': ['code', 'desc'],
  'resultnotification-message': ['push-id', 'sender-address', 'sender-name', 'received-time', 'event-time', 'message-state', 'code', 'desc'],
  'resultnotification-response': ['push-id'],
  'statusquery-message': ['push-id'],
  'statusquery-response': ['push-id'],
  'statusquery-result': ['event-time', 'message-state', 'code', 'desc'],
  'ccq-message': ['query-id', 'app-id'],
  'ccq-response': ['query-id', 'code', 'desc'],
  'badmessage-response': ['code', 'desc', 'bad-message-fragment'],
};

function versionOf(publicId: string | undefined): PapVersion {
  // The DOCTYPE public id names the version (WAP-247 §8); a document without one is read as 2.0.
  if (publicId === undefined) return '2.0';
  const id = publicId;
  if (/DTD PAP 2\.0/i.test(id)) return '2.0';
  if (/DTD PAP( 1\.0)?\/\//i.test(id)) return '1.0';
  throw new PapError(3002, `PAP version "${id}" is not supported (PAP 1.0 and 2.0 are)`, id);
}

const bad = (why: string, fragment?: string): never => {
  throw new PapError(2000, why, fragment);
};

/** ATTRS as sets, by element name (a Map: an element named like an Object.prototype member is simply unknown). */
const ALLOWED = new Map(Object.entries(ATTRS).map(([name, list]) => [name, new Set(list)]));

function checkAttrs(el: XmlElement): void {
  const allowed = ALLOWED.get(el.name);
  if (!allowed) return bad(`unknown element <${el.name}>`, `<${el.name}>`);
  for (const a of Object.keys(el.attrs)) {
    if (!allowed.has(a)) bad(`<${el.name}> has no attribute "${a}"`, `${a}="${String(el.attrs[a]).slice(0, 80)}"`);
  }
}

function req(el: XmlElement, a: string): string {
  const v = el.attrs[a];
  if (v === undefined || v === '') return bad(`<${el.name}> needs the attribute ${a}`, `<${el.name}>`);
  return v;
}

function bool(el: XmlElement, a: string): boolean | undefined {
  const v = el.attrs[a];
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') bad(`${a}="${v}" must be true or false`, `${a}="${v}"`);
  return v === 'true';
}

function oneOf<T extends string>(el: XmlElement, a: string, values: readonly T[]): T | undefined {
  const v = el.attrs[a];
  if (v === undefined) return undefined;
  // PAP 1.0 senders (Kannel's samples) write some values in other letter cases: "gsm", "sms".
  const lower = v.toLowerCase();
  const hit = values.find((x) => x === lower);
  if (hit === undefined) bad(`${a}="${v}" must be one of ${values.join(', ')}`, `${a}="${v}"`);
  return hit;
}

function time(el: XmlElement, a: string): number | undefined {
  const v = el.attrs[a];
  return v === undefined ? undefined : parsePapTime(v, a);
}

function code(el: XmlElement): number {
  const v = req(el, 'code');
  if (!/^[1-5]\d{3}$/.test(v)) bad(`code="${v}" is not a PAP status code`, `code="${v}"`);
  return Number(v);
}

const children = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);

function opt<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

function qosOf(el: XmlElement | undefined): QualityOfService | undefined {
  if (!el) return undefined;
  checkAttrs(el);
  const q: QualityOfService = {};
  opt(q, 'priority', oneOf(el, 'priority', ['high', 'medium', 'low'] as const));
  opt(q, 'deliveryMethod', oneOf(el, 'delivery-method', ['confirmed', 'preferconfirmed', 'unconfirmed', 'notspecified'] as const));
  opt(q, 'network', el.attrs.network);
  opt(q, 'networkRequired', bool(el, 'network-required'));
  opt(q, 'bearer', el.attrs.bearer);
  opt(q, 'bearerRequired', bool(el, 'bearer-required'));
  return q;
}

function addressesOf(el: XmlElement, limits: Required<PapLimits>, min: number): PapAddress[] {
  const els = children(el, 'address');
  if (els.length < min) bad(`<${el.name}> needs at least ${min} <address>`, `<${el.name}>`);
  if (els.length > limits.maxAddresses) throw new PapError(3005, `${els.length} addresses in one message; at most ${limits.maxAddresses} are accepted`);
  const out: PapAddress[] = [];
  const seen = new Set<string>();
  for (const a of els) {
    checkAttrs(a);
    const addr = parsePapAddress(req(a, 'address-value'));
    const key = `${addr.type}:${addr.client}`;
    if (seen.has(key)) bad(`address ${addr.value} appears twice`, addr.value);
    seen.add(key);
    out.push(addr);
  }
  return out;
}

function addressValues(el: XmlElement): string[] {
  return children(el, 'address').map((a) => {
    checkAttrs(a);
    return req(a, 'address-value');
  });
}

function resultOf(el: XmlElement | undefined, parent: string): ResponseResult {
  if (!el) return bad(`<${parent}> needs a <response-result>`, `<${parent}>`);
  checkAttrs(el);
  const r: ResponseResult = { code: code(el) };
  opt(r, 'desc', el.attrs.desc);
  return r;
}

function state(el: XmlElement): MessageState {
  return oneOf(el, 'message-state', MESSAGE_STATES) ?? bad(`<${el.name}> needs message-state`, `<${el.name}>`);
}

/** ppg-notify-requested-to (WAP-247 §9.2): an http or https URL. */
function isNotifyUrl(v: string): boolean {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  return u !== undefined && (u.protocol === 'http:' || u.protocol === 'https:');
}

function walkCheck(el: XmlElement, depth: number): void {
  if (depth > 6) bad('PAP document nested too deep');
  checkAttrs(el);
  for (const c of el.children) walkCheck(c, depth + 1);
}

function messageOf(el: XmlElement, limits: Required<PapLimits>): PapMessage {
  walkCheck(el, 0);
  switch (el.name) {
    case 'push-message': {
      const m: PushMessage = { kind: 'push-message', pushId: req(el, 'push-id'), addresses: addressesOf(el, limits, 1) };
      opt(m, 'replacePushId', el.attrs['replace-push-id']);
      opt(m, 'replaceMethod', oneOf(el, 'replace-method', ['pending-only', 'all'] as const));
      opt(m, 'deliverBefore', time(el, 'deliver-before-timestamp'));
      opt(m, 'deliverAfter', time(el, 'deliver-after-timestamp'));
      opt(m, 'sourceReference', el.attrs['source-reference']);
      const notify = el.attrs['ppg-notify-requested-to'];
      if (notify !== undefined) {
        if (!isNotifyUrl(notify)) bad(`ppg-notify-requested-to="${notify.slice(0, 80)}" is not an http(s) URL`, `ppg-notify-requested-to="${notify.slice(0, 80)}"`);
        m.ppgNotifyRequestedTo = notify;
      }
      opt(m, 'progressNotesRequested', bool(el, 'progress-notes-requested'));
      opt(m, 'qos', qosOf(children(el, 'quality-of-service')[0]));
      if (m.deliverBefore !== undefined && m.deliverAfter !== undefined && m.deliverAfter >= m.deliverBefore) {
        bad('deliver-after-timestamp is not before deliver-before-timestamp', `deliver-after-timestamp="${el.attrs['deliver-after-timestamp']}"`);
      }
      return m;
    }
    case 'cancel-message':
      return { kind: 'cancel-message', pushId: req(el, 'push-id'), addresses: addressesOf(el, limits, 0) };
    case 'statusquery-message':
      return { kind: 'statusquery-message', pushId: req(el, 'push-id'), addresses: addressesOf(el, limits, 0) };
    case 'ccq-message': {
      const addrs = addressesOf(el, limits, 1);
      if (addrs.length !== 1) bad('<ccq-message> takes exactly one <address>', '<ccq-message>');
      const m: CcqMessage = { kind: 'ccq-message', queryId: req(el, 'query-id'), address: addrs[0] as PapAddress };
      opt(m, 'appId', el.attrs['app-id']);
      return m;
    }
    case 'resultnotification-response': {
      const m: ResultNotificationResponse = { kind: 'resultnotification-response', pushId: req(el, 'push-id'), result: resultOf(children(el, 'response-result')[0], el.name) };
      opt(m, 'address', addressValues(el)[0]);
      return m;
    }
    case 'push-response': {
      const m: PushResponse = { kind: 'push-response', pushId: req(el, 'push-id'), result: resultOf(children(el, 'response-result')[0], el.name) };
      opt(m, 'senderAddress', el.attrs['sender-address']);
      opt(m, 'senderName', el.attrs['sender-name']);
      opt(m, 'replyTime', time(el, 'reply-time'));
      return m;
    }
    case 'cancel-response':
      return {
        kind: 'cancel-response',
        pushId: req(el, 'push-id'),
        results: children(el, 'cancel-result').map((r) => {
          const out: CancelResult = { code: code(r), addresses: addressValues(r) };
          opt(out, 'desc', r.attrs.desc);
          return out;
        }),
      };
    case 'statusquery-response':
      return {
        kind: 'statusquery-response',
        pushId: req(el, 'push-id'),
        results: children(el, 'statusquery-result').map((r) => {
          const out: StatusQueryResult = { code: code(r), messageState: state(r), addresses: addressValues(r) };
          opt(out, 'desc', r.attrs.desc);
          opt(out, 'eventTime', time(r, 'event-time'));
          return out;
        }),
      };
    case 'ccq-response': {
      const m: CcqResponse = { kind: 'ccq-response', queryId: req(el, 'query-id'), code: code(el) };
      opt(m, 'desc', el.attrs.desc);
      opt(m, 'address', addressValues(el)[0]);
      return m;
    }
    case 'resultnotification-message': {
      const address = addressValues(el)[0] ?? bad('<resultnotification-message> needs an <address>', '<resultnotification-message>');
      const m: ResultNotificationMessage = { kind: 'resultnotification-message', pushId: req(el, 'push-id'), messageState: state(el), code: code(el), address };
      opt(m, 'senderAddress', el.attrs['sender-address']);
      opt(m, 'senderName', el.attrs['sender-name']);
      opt(m, 'receivedTime', time(el, 'received-time'));
      opt(m, 'eventTime', time(el, 'event-time'));
      opt(m, 'desc', el.attrs.desc);
      opt(m, 'qos', qosOf(children(el, 'quality-of-service')[0]));
      return m;
    }
    case 'badmessage-response': {
      const m: BadMessageResponse = { kind: 'badmessage-response', code: code(el) };
      opt(m, 'desc', el.attrs.desc);
      opt(m, 'badMessageFragment', el.attrs['bad-message-fragment']);
      return m;
    }
    default:
      return bad(`<${el.name}> is not a PAP message`, `<${el.name}>`);
  }
}

/**
 * Any PAP document -> its version and message. Throws PapError (2000 malformed, 2002 address,
 * 3002 version, 3005 too many addresses). The XML parser refuses DTD internal subsets,
 * external entities and entity expansion.
 */
export function decodePap(xml: string, limits: PapLimits = {}): PapDocument {
  const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  // a document's UTF-8 size is at most 3 octets per UTF-16 code unit: counted only when it may be over
  if (xml.length * 3 > maxBytes && Buffer.byteLength(xml, 'utf8') > maxBytes) throw new PapError(2000, `PAP document over ${maxBytes} octets`);
  return readCommonPush(xml, limits.maxAddresses ?? DEFAULT_LIMITS.maxAddresses) ?? decodePapGeneral(xml, limits);
}

/**
 * decodePap without the one-pass reader (readCommonPush): the XML parser (src/codec/xml.ts),
 * then the message's rules. Every document the reader declines comes here; tests compare the two.
 */
export function decodePapGeneral(xml: string, limits: PapLimits = {}): PapDocument {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  if (Buffer.byteLength(xml, 'utf8') > lim.maxBytes) throw new PapError(2000, `PAP document over ${lim.maxBytes} octets`);
  let root: XmlElement;
  let publicId: string | undefined;
  try {
    const doc = parseXmlDocument(xml, { maxBytes: lim.maxBytes, maxDepth: 8, maxElements: lim.maxAddresses * 2 + 50 });
    root = doc.root;
    publicId = doc.doctype?.publicId;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return bad(`not well-formed PAP XML: ${why}`);
  }
  const version = versionOf(publicId);
  if (root.name !== 'pap') bad(`the root element is <${root.name}>, not <pap>`, `<${root.name}>`);
  checkAttrs(root);
  const kids = root.children;
  if (kids.length !== 1) bad(`<pap> must hold exactly one message, it holds ${kids.length}`, '<pap>');
  const doc: PapDocument = { version, message: messageOf(kids[0] as XmlElement, lim) };
  opt(doc, 'productName', root.attrs['product-name']);
  return doc;
}

// ---------------------------------------------------------------------------------------------
// The common request, read in one pass

/*
 * Nearly every request is a push-message written the same way (WAP-247 §9.2 and the PAP 1.0
 * DTD; Kannel's test_ppg samples and our bench write it so):
 *
 *   [<?xml ...?>] [<!DOCTYPE pap PUBLIC "pubid" ["sysid"]>] <pap [product-name="..."]>
 *     <push-message attributes...> <address address-value="..."/>... [<quality-of-service .../>]
 *     </push-message> </pap>
 *
 * with white space between the tags. readCommonPush reads exactly that shape straight into the
 * PushMessage, without the general XML tree. It gives the PapDocument the general path
 * (decodePapGeneral: the XML parser, then messageOf) gives for the same text, or undefined for
 * anything else: comments, processing instructions other than the XML declaration, CDATA,
 * references (`&amp;`) or literal tabs and line ends in attribute values (the general parser
 * decodes and normalises those), non-ASCII names, text, other elements or attributes, a byte
 * order mark, and every document the general path refuses (so every refusal and its reason come
 * from the general path). It never refuses anything itself and reads no DTD: the XML parser's
 * safety rules hold because whatever the reader does not understand goes to that parser.
 * test/ppg/pap-reader.test.ts compares the two on generated documents.
 */

/** Thrown inside the reader: "not the common shape" (caught in readCommonPush; never escapes). */
const NOT_COMMON = new Error('not the common PAP shape');
function no(): never {
  throw NOT_COMMON;
}

/** The reader's input and position (one reader at a time: it never yields). */
let src = '';
let at = 0;
/** Set by nextAttr: the value of the attribute it returned; whether the tag it ended was `<x/>`. */
let attrVal = '';
let emptyTag = false;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
/** XML 1.0 §2.3 NameChar, ASCII only (a name with other characters goes to the general parser). */
const isAsciiNameChar = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x3a;

function skipWs(): boolean {
  const start = at;
  while (at < src.length && isWs(src.charCodeAt(at))) at++;
  return at > start;
}

/** The end of the name starting at `at` (ASCII name characters; anything else declines). */
function nameEnd(): number {
  const c = src.charCodeAt(at);
  // NameStartChar (XML 1.0 §2.3), ASCII: a letter, '_' or ':'
  if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a)) no();
  let i = at;
  while (i < src.length && isAsciiNameChar(src.charCodeAt(i))) i++;
  if (i === at || src.charCodeAt(i) >= 0x80) no();
  return i;
}

/** After `<`: the tag name is `lit` (followed by white space, `>` or `/`). */
function tagIs(lit: string): boolean {
  if (!src.startsWith(lit, at)) return false;
  const c = src.charCodeAt(at + lit.length);
  if (!(isWs(c) || c === 0x3e || c === 0x2f)) return false;
  at += lit.length;
  return true;
}

function quotedLiteral(): string {
  const q = src.charCodeAt(at);
  if (q !== 0x22 && q !== 0x27) no();
  const end = src.indexOf(q === 0x22 ? '"' : "'", at + 1);
  if (end < 0) no();
  const v = src.slice(at + 1, end);
  at = end + 1;
  return v;
}

/**
 * The next attribute's name, one of `names` (the very string of that list: no copy of it is cut
 * from the document), its value in attrVal; undefined at the tag's end (emptyTag set). Another
 * name declines.
 */
function nextAttr(names: readonly string[]): string | undefined {
  const spaced = skipWs();
  const c = src.charCodeAt(at);
  if (c === 0x3e) {
    at++;
    emptyTag = false;
    return undefined;
  }
  if (c === 0x2f) {
    if (src.charCodeAt(at + 1) !== 0x3e) no();
    at += 2;
    emptyTag = true;
    return undefined;
  }
  if (!spaced || !(c >= 0x61 && c <= 0x7a)) no();
  const end = nameEnd();
  const len = end - at;
  let name: string | undefined;
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    if (n.length === len && src.startsWith(n, at)) {
      name = n;
      break;
    }
  }
  if (name === undefined) no();
  at = end;
  skipWs();
  if (src.charCodeAt(at) !== 0x3d) no();
  at++;
  skipWs();
  const q = src.charCodeAt(at);
  if (q !== 0x22 && q !== 0x27) no();
  const close = src.indexOf(q === 0x22 ? '"' : "'", at + 1);
  if (close < 0) no();
  for (let i = at + 1; i < close; i++) {
    const d = src.charCodeAt(i);
    // references, '<' and literal white space to normalise: the general parser's business
    if (d === 0x26 || d === 0x3c || d === 0x09 || d === 0x0a || d === 0x0d) no();
  }
  attrVal = src.slice(at + 1, close);
  at = close + 1;
  return name;
}

/** After a start tag that was not empty: white space, then `</name>`. */
function closeTag(name: string): void {
  skipWs();
  if (src.charCodeAt(at) !== 0x3c || src.charCodeAt(at + 1) !== 0x2f) no();
  at += 2;
  if (!src.startsWith(name, at)) no();
  at += name.length;
  skipWs();
  if (src.charCodeAt(at) !== 0x3e) no();
  at++;
}

const lowerIn = <T extends string>(v: string, values: readonly T[]): T => values.find((x) => x === v.toLowerCase()) ?? no();
const boolOf = (v: string): boolean => (v === 'true' ? true : v === 'false' ? false : no());
const PAP_ATTRS = ATTRS.pap as readonly string[];
const PUSH_ATTRS = ATTRS['push-message'] as readonly string[];
const ADDRESS_ATTRS = ATTRS.address as readonly string[];
const QOS_ATTRS = ATTRS['quality-of-service'] as readonly string[];
const PRIORITIES = ['high', 'medium', 'low'] as const;
const DELIVERY_METHODS = ['confirmed', 'preferconfirmed', 'unconfirmed', 'notspecified'] as const;
const REPLACE_METHODS = ['pending-only', 'all'] as const;

/** The common push-message's document, or undefined (see above). Pure; never throws. */
export function readCommonPush(xml: string, maxAddresses: number): PapDocument | undefined {
  src = xml;
  at = 0;
  try {
    return commonPush(maxAddresses);
  } catch {
    return undefined;
  } finally {
    src = '';
    attrVal = '';
  }
}

function commonPush(maxAddresses: number): PapDocument {
  // XML declaration (XML 1.0 §2.8), read as the general parser does: up to '?>'
  if (src.startsWith('<?xml', 0)) {
    const c = src.charCodeAt(5);
    if (!(isWs(c) || c === 0x3f)) no();
    const end = src.indexOf('?>', 5);
    if (end < 0) no();
    at = end + 2;
  }
  skipWs();
  let publicId: string | undefined;
  if (src.startsWith('<!DOCTYPE', at)) {
    at += 9;
    if (!skipWs()) no();
    at = nameEnd();
    skipWs();
    if (!src.startsWith('PUBLIC', at)) no();
    at += 6;
    skipWs();
    publicId = quotedLiteral();
    if (skipWs() && (src.charCodeAt(at) === 0x22 || src.charCodeAt(at) === 0x27)) {
      quotedLiteral();
      skipWs();
    }
    if (src.charCodeAt(at) !== 0x3e) no();
    at++;
    skipWs();
  }
  // <pap [product-name]>
  if (src.charCodeAt(at) !== 0x3c) no();
  at++;
  if (!tagIs('pap')) no();
  let productName: string | undefined;
  for (let a = nextAttr(PAP_ATTRS); a !== undefined; a = nextAttr(PAP_ATTRS)) {
    if (productName !== undefined) no();
    productName = attrVal;
  }
  if (emptyTag) no();
  skipWs();
  // <push-message ...>
  if (src.charCodeAt(at) !== 0x3c) no();
  at++;
  if (!tagIs('push-message')) no();
  let pushId: string | undefined;
  let replacePushId: string | undefined;
  let replaceMethod: string | undefined;
  let deliverBefore: string | undefined;
  let deliverAfter: string | undefined;
  let sourceReference: string | undefined;
  let notifyTo: string | undefined;
  let progressNotes: string | undefined;
  for (let a = nextAttr(PUSH_ATTRS); a !== undefined; a = nextAttr(PUSH_ATTRS)) {
    const v = attrVal;
    switch (a) {
      case 'push-id':
        if (pushId !== undefined) no();
        pushId = v;
        break;
      case 'replace-push-id':
        if (replacePushId !== undefined) no();
        replacePushId = v;
        break;
      case 'replace-method':
        if (replaceMethod !== undefined) no();
        replaceMethod = v;
        break;
      case 'deliver-before-timestamp':
        if (deliverBefore !== undefined) no();
        deliverBefore = v;
        break;
      case 'deliver-after-timestamp':
        if (deliverAfter !== undefined) no();
        deliverAfter = v;
        break;
      case 'source-reference':
        if (sourceReference !== undefined) no();
        sourceReference = v;
        break;
      case 'ppg-notify-requested-to':
        if (notifyTo !== undefined) no();
        notifyTo = v;
        break;
      case 'progress-notes-requested':
        if (progressNotes !== undefined) no();
        progressNotes = v;
        break;
      default:
        no();
    }
  }
  if (emptyTag || pushId === undefined || pushId === '') no();
  // its children: addresses and at most one quality-of-service
  let first: PapAddress | undefined;
  let more: PapAddress[] | undefined;
  let qos: QualityOfService | undefined;
  for (;;) {
    skipWs();
    if (src.charCodeAt(at) !== 0x3c) no();
    if (src.charCodeAt(at + 1) === 0x2f) break;
    at++;
    if (tagIs('address')) {
      let value: string | undefined;
      for (let a = nextAttr(ADDRESS_ATTRS); a !== undefined; a = nextAttr(ADDRESS_ATTRS)) {
        if (value !== undefined) no();
        value = attrVal;
      }
      if (!emptyTag) closeTag('address');
      if (value === undefined || value === '') no();
      const addr = parsePapAddress(value);
      if (first === undefined) first = addr;
      else {
        more ??= [first];
        for (const o of more) if (o.type === addr.type && o.client === addr.client) no();
        if (more.length >= maxAddresses) no();
        more.push(addr);
      }
    } else if (tagIs('quality-of-service')) {
      if (qos !== undefined) no();
      let priority: string | undefined;
      let method: string | undefined;
      let network: string | undefined;
      let networkRequired: string | undefined;
      let bearer: string | undefined;
      let bearerRequired: string | undefined;
      for (let a = nextAttr(QOS_ATTRS); a !== undefined; a = nextAttr(QOS_ATTRS)) {
        const v = attrVal;
        if (a === 'priority' && priority === undefined) priority = v;
        else if (a === 'delivery-method' && method === undefined) method = v;
        else if (a === 'network' && network === undefined) network = v;
        else if (a === 'network-required' && networkRequired === undefined) networkRequired = v;
        else if (a === 'bearer' && bearer === undefined) bearer = v;
        else if (a === 'bearer-required' && bearerRequired === undefined) bearerRequired = v;
        else no();
      }
      if (!emptyTag) closeTag('quality-of-service');
      // the same object, keys in the same order, as qosOf
      const q: QualityOfService = {};
      if (priority !== undefined) q.priority = lowerIn(priority, PRIORITIES);
      if (method !== undefined) q.deliveryMethod = lowerIn(method, DELIVERY_METHODS);
      if (network !== undefined) q.network = network;
      if (networkRequired !== undefined) q.networkRequired = boolOf(networkRequired);
      if (bearer !== undefined) q.bearer = bearer;
      if (bearerRequired !== undefined) q.bearerRequired = boolOf(bearerRequired);
      qos = q;
    } else no();
  }
  closeTag('push-message');
  closeTag('pap');
  skipWs();
  if (at !== src.length || first === undefined || maxAddresses < 1) no();
  const version = publicId === undefined ? '2.0' : versionOf(publicId);
  // the same object, keys in the same order, as messageOf
  const m: PushMessage = { kind: 'push-message', pushId, addresses: more ?? [first] };
  if (replacePushId !== undefined) m.replacePushId = replacePushId;
  if (replaceMethod !== undefined) m.replaceMethod = lowerIn(replaceMethod, REPLACE_METHODS);
  if (deliverBefore !== undefined) m.deliverBefore = parsePapTime(deliverBefore, 'deliver-before-timestamp');
  if (deliverAfter !== undefined) m.deliverAfter = parsePapTime(deliverAfter, 'deliver-after-timestamp');
  if (sourceReference !== undefined) m.sourceReference = sourceReference;
  if (notifyTo !== undefined) {
    if (!isNotifyUrl(notifyTo)) no();
    m.ppgNotifyRequestedTo = notifyTo;
  }
  if (progressNotes !== undefined) m.progressNotesRequested = boolOf(progressNotes);
  if (qos !== undefined) m.qos = qos;
  if (m.deliverBefore !== undefined && m.deliverAfter !== undefined && m.deliverAfter >= m.deliverBefore) no();
  const doc: PapDocument = { version, message: m };
  if (productName !== undefined) doc.productName = productName;
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Characters an attribute value cannot hold as they are (XML 1.0 §2.2, §2.4; controls XML 1.0 cannot carry are left out). */
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const ESCAPED = new RegExp(NEEDS_ESCAPE.source, 'g');
const esc = (s: string): string =>
  // most values (push ids, times, codes) need nothing: tested once, copied only when they do
  !NEEDS_ESCAPE.test(s)
    ? s
    : s.replace(ESCAPED, (c) =>
        c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : '',
      );

type Attrs = Array<[string, string | number | boolean | undefined]>;
function tag(name: string, attrs: Attrs, inner: string[] = []): string {
  let a = '';
  for (const [k, v] of attrs) if (v !== undefined) a += ` ${k}="${esc(String(v))}"`;
  return inner.length === 0 ? `<${name}${a}/>` : `<${name}${a}>${inner.join('')}</${name}>`;
}

/**
 * The push-response (WAP-247 §9.3), the answer to nearly every request a PPG gets, written
 * directly: the same document `tag` builds from messageXml, without its attribute lists.
 */
function pushResponseDocument(m: PushResponse, version: PapVersion): string {
  const r = m.result;
  const desc = r.desc ?? papCodeName(r.code);
  // the common answer (no sender address, a reply time): a template with the push-id and the time as its variable parts
  if (m.senderAddress === undefined && m.replyTime !== undefined) {
    let t = responseTemplate;
    if (t.version !== version || t.senderName !== m.senderName || t.code !== r.code || t.desc !== desc) t = responseTemplateFor(version, m.senderName, r.code, desc);
    return `${t.head}${esc(m.pushId)}${t.mid}${papTimeCached(m.replyTime)}${t.tail}`;
  }
  let a = ` push-id="${esc(m.pushId)}"`;
  if (m.senderAddress !== undefined) a += ` sender-address="${esc(m.senderAddress)}"`;
  if (m.senderName !== undefined) a += ` sender-name="${esc(m.senderName)}"`;
  if (m.replyTime !== undefined) a += ` reply-time="${formatPapTime(m.replyTime)}"`;
  return `<?xml version="1.0"?>\n${DOCTYPE[version]}\n<pap><push-response${a}><response-result code="${r.code}" desc="${esc(desc)}"/></push-response></pap>\n`;
}

/*
 * The push-response template (the same text as the general case below writes): the part before
 * the push-id, between it and the reply time (the sender name), and after (the result), built
 * again only when the version, sender name or result changes.
 */
let responseTemplate = { version: '', senderName: undefined as string | undefined, code: 0, desc: '', head: '', mid: '', tail: '' };
function responseTemplateFor(version: PapVersion, senderName: string | undefined, code: number, desc: string): typeof responseTemplate {
  responseTemplate = {
    version,
    senderName,
    code,
    desc,
    head: `<?xml version="1.0"?>\n${DOCTYPE[version]}\n<pap><push-response push-id="`,
    mid: `"${senderName === undefined ? '' : ` sender-name="${esc(senderName)}"`} reply-time="`,
    tail: `"><response-result code="${code}" desc="${esc(desc)}"/></push-response></pap>\n`,
  };
  return responseTemplate;
}

/** formatPapTime of the last second asked for, kept (every answer in a second has the same reply-time). */
let papTimeSecond = Number.NaN;
let papTimeText = '';
function papTimeCached(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== papTimeSecond) {
    papTimeSecond = sec;
    papTimeText = formatPapTime(ms);
  }
  return papTimeText;
}

const ts = (t: number | undefined): string | undefined => (t === undefined ? undefined : formatPapTime(t));
const addr = (v: string): string => tag('address', [['address-value', v]]);

function qosXml(q: QualityOfService | undefined): string[] {
  if (!q) return [];
  return [
    tag('quality-of-service', [
      ['priority', q.priority],
      ['delivery-method', q.deliveryMethod],
      ['network', q.network],
      ['network-required', q.networkRequired],
      ['bearer', q.bearer],
      ['bearer-required', q.bearerRequired],
    ]),
  ];
}

const resultXml = (r: ResponseResult): string => tag('response-result', [['code', r.code], ['desc', r.desc ?? papCodeName(r.code)]]);

function messageXml(m: PapMessage, version: PapVersion): string {
  switch (m.kind) {
    case 'push-message':
      return tag(
        'push-message',
        [
          ['push-id', m.pushId],
          ['replace-push-id', version === '2.0' ? m.replacePushId : undefined],
          ['replace-method', version === '2.0' ? m.replaceMethod : undefined],
          ['deliver-before-timestamp', ts(m.deliverBefore)],
          ['deliver-after-timestamp', ts(m.deliverAfter)],
          ['source-reference', m.sourceReference],
          ['ppg-notify-requested-to', m.ppgNotifyRequestedTo],
          ['progress-notes-requested', m.progressNotesRequested],
        ],
        [...m.addresses.map((a) => addr(a.value)), ...qosXml(m.qos)],
      );
    case 'cancel-message':
    case 'statusquery-message':
      return tag(m.kind, [['push-id', m.pushId]], m.addresses.map((a) => addr(a.value)));
    case 'ccq-message':
      return tag('ccq-message', [['query-id', m.queryId], ['app-id', m.appId]], [addr(m.address.value)]);
    case 'resultnotification-response':
      return tag('resultnotification-response', [['push-id', m.pushId]], [...(m.address ? [addr(m.address)] : []), resultXml(m.result)]);
    case 'push-response':
      return tag(
        'push-response',
        [
          ['push-id', m.pushId],
          ['sender-address', m.senderAddress],
          ['sender-name', m.senderName],
          ['reply-time', ts(m.replyTime)],
        ],
        [resultXml(m.result)],
      );
    case 'cancel-response':
      return tag(
        'cancel-response',
        [['push-id', m.pushId]],
        m.results.map((r) => tag('cancel-result', [['code', r.code], ['desc', r.desc ?? papCodeName(r.code)]], r.addresses.map(addr))),
      );
    case 'statusquery-response':
      return tag(
        'statusquery-response',
        [['push-id', m.pushId]],
        m.results.map((r) =>
          tag(
            'statusquery-result',
            [
              ['event-time', ts(r.eventTime)],
              ['message-state', r.messageState],
              ['code', r.code],
              ['desc', r.desc ?? papCodeName(r.code)],
            ],
            r.addresses.map(addr),
          ),
        ),
      );
    case 'ccq-response':
      return tag('ccq-response', [['query-id', m.queryId], ['code', m.code], ['desc', m.desc ?? papCodeName(m.code)]], m.address ? [addr(m.address)] : []);
    case 'resultnotification-message':
      return tag(
        'resultnotification-message',
        [
          ['push-id', m.pushId],
          ['sender-address', m.senderAddress],
          ['sender-name', m.senderName],
          ['received-time', ts(m.receivedTime)],
          ['event-time', ts(m.eventTime)],
          ['message-state', m.messageState],
          ['code', m.code],
          ['desc', m.desc ?? papCodeName(m.code)],
        ],
        [addr(m.address), ...qosXml(m.qos)],
      );
    case 'badmessage-response':
      return tag('badmessage-response', [['code', m.code], ['desc', m.desc ?? papCodeName(m.code)], ['bad-message-fragment', m.badMessageFragment]]);
  }
}

/** A PAP document for `m` in `version` (the PPG answers in the version it was asked in). */
export function encodePap(m: PapMessage, version: PapVersion = '2.0', productName?: string): string {
  if (m.kind === 'push-response' && productName === undefined) return pushResponseDocument(m, version);
  return `<?xml version="1.0"?>\n${DOCTYPE[version]}\n${tag('pap', [['product-name', productName]], [messageXml(m, version)])}\n`;
}

/** The badmessage-response for a PapError (WAP-247 §9.12), as the PPG sends it. */
export function badMessageFor(err: PapError): BadMessageResponse {
  const m: BadMessageResponse = { kind: 'badmessage-response', code: err.papCode, desc: err.message };
  if (err.fragment !== undefined) m.badMessageFragment = err.fragment;
  return m;
}
