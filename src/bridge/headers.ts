/**
 * Header mapping between the WSP session/method headers (already decoded by the WSP codec
 * into HTTP text form) and HTTP (RFC 9110). Request side: session headers from Connect are
 * merged under the method's own (a name the method carries replaces the session's, WAP-230
 * §8.2.2.1 "session headers ... apply to all requests"), WSP-only and hop-by-hop fields are
 * removed, UAProf Profile/Profile-Diff become X-Wap-Profile/X-Wap-Profile-Diff (WAP-248
 * §9.2.3.3), and a Via is added. Response side: hop-by-hop and framing fields are removed
 * (the WSP Reply carries its own length).
 */
import { HOP_BY_HOP, fieldLines, isFieldValue, isToken, listMembers, lowerFieldName, type HeaderList } from '../core/http';

export type { HeaderList };

/** Never carried from one leg to the other: RFC 9110 §7.6.1 hop-by-hop, plus the fields each leg sets for itself (the WSP PDU carries its own length, the MMSC gets its own Host). */
const NOT_FORWARDED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'host', 'content-length']);


/** WSP-only fields that must not travel on HTTP. */
const WSP_ONLY = new Set(['encoding-version', 'x-wap-tod', 'bearer-indication', 'push-flag']);

const RENAME: Record<string, string> = {
  profile: 'X-Wap-Profile',
  'profile-diff': 'X-Wap-Profile-Diff',
  'profile-warning': 'X-Wap-Profile-Warning',
};

/** Session headers first, overridden name by name by the method's headers. */
export function mergeSessionHeaders(session: HeaderList, method: HeaderList): HeaderList {
  if (session.length === 0) return method;
  const own = new Set(method.map(([n]) => n.toLowerCase()));
  return [...session.filter(([n]) => !own.has(n.toLowerCase())), ...method];
}

/** Names listed in Connection, removed too (RFC 9110 §7.6.1); undefined when there is no Connection field. */
function connectionTokens(h: HeaderList): Set<string> | undefined {
  let out: Set<string> | undefined;
  // only a name of Connection's length is lowered and compared
  for (const [n, v] of h) if (n.length === 10 && n.toLowerCase() === 'connection') for (const t of v.split(',')) (out ??= new Set()).add(t.trim().toLowerCase());
  return out;
}

export interface RequestHeaderOptions {
  /** WSP encoding version text for Via ("1.2"). */
  encodingVersion: string;
  viaHost: string;
}

function addField(out: Record<string, string | string[]>, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [prev, value];
}

/**
 * Maps WSP text headers into `out` (HTTP request fields; one pass, each name lowered once) and
 * collects Via entries into `via`; names listed in `drop` (the client's Connection tokens) are
 * left out.
 */
function mapInto(out: Record<string, string | string[]>, via: string[], h: HeaderList, drop: Set<string> | undefined): void {
  for (const [name, value] of h) {
    const l = name.toLowerCase();
    // the client's Via entries come first in ours (RFC 9110 §7.6.3)
    if (l === 'via') {
      if (isFieldValue(value)) via.push(value);
      continue;
    }
    if (NOT_FORWARDED.has(l) || WSP_ONLY.has(l) || drop?.has(l)) continue;
    if (!isFieldValue(value) || !isToken(name)) continue; // never smuggle a header (CR LF) nor make the HTTP client refuse the request
    // HTTP x-wap-profile carries quoted URIs (WAP-248 §9.2.3.3); WSP Profile is a bare URI
    addField(out, RENAME[l] ?? name, l === 'profile' && !/^".*"$/.test(value) ? `"${value}"` : value);
  }
}

/** WSP text headers -> HTTP request headers, Via last (identity headers: `ClientHeaders`). */
export function toHttpRequestHeaders(h: HeaderList, opts: RequestHeaderOptions): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const via: string[] = [];
  mapInto(out, via, h, connectionTokens(h));
  const ours = viaOf(opts.encodingVersion, opts.viaHost);
  out['Via'] = via.length === 0 ? ours : `${via.join(', ')}, ${ours}`;
  return out;
}

/** The handset's part of a request's HTTP headers: its fields mapped, and its own Via entries. */
export interface ClientPart {
  readonly fields: Readonly<Record<string, string | string[]>>;
  readonly via: readonly string[];
}

/** What removes client copies of identity headers (src/policy/identity.ts IdentityHeaders). */
export interface IdentityStrip {
  strip(h: HeaderList): HeaderList;
}

const NO_HEADERS: HeaderList = Object.freeze([]) as unknown as HeaderList;

/**
 * The request headers of a method: the session's and the method's headers merged, client copies
 * of identity headers stripped (`strip`), mapped as `toHttpRequestHeaders` maps them; then our
 * identity headers (never subject to the client's Connection tokens: a handset cannot have them
 * dropped), then Via. A handset repeats its header blocks and the WSP decoder shares the lists
 * it decodes (frozen, src/codec/wsp/headers.ts HeaderBlockCache), so the handset's part is
 * mapped once per pair of shared lists (WeakMaps: kept as long as the lists are).
 */
export class ClientHeaders {
  /** By the identity rules in force (a reload brings new ones), then the session's and the method's list. */
  private readonly byRules = new WeakMap<IdentityStrip, WeakMap<HeaderList, WeakMap<HeaderList, ClientPart>>>();

  /** The handset's part for these session and method headers, client copies of identity headers stripped by `rules`. */
  part(rules: IdentityStrip, session: HeaderList | undefined, method: HeaderList): ClientPart {
    const s = session ?? NO_HEADERS;
    if (!Object.isFrozen(s) || !Object.isFrozen(method)) return this.map(rules, s, method);
    let bySession = this.byRules.get(rules);
    if (bySession === undefined) this.byRules.set(rules, (bySession = new WeakMap()));
    let byMethod = bySession.get(s);
    if (byMethod === undefined) bySession.set(s, (byMethod = new WeakMap()));
    let part = byMethod.get(method);
    if (part === undefined) byMethod.set(method, (part = this.map(rules, s, method)));
    return part;
  }

  private map(rules: IdentityStrip, session: HeaderList, method: HeaderList): ClientPart {
    const h = rules.strip(mergeSessionHeaders(session, method));
    const fields: Record<string, string | string[]> = {};
    const via: string[] = [];
    mapInto(fields, via, h, connectionTokens(h));
    for (const k in fields) if (Array.isArray(fields[k])) Object.freeze(fields[k]);
    return { fields: Object.freeze(fields), via: Object.freeze(via) };
  }

  /** The whole request headers: a copy of the handset's part, our identity headers, Via. */
  request(part: ClientPart, identity: HeaderList, opts: RequestHeaderOptions): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const k in part.fields) {
      const v = part.fields[k] as string | readonly string[];
      out[k] = typeof v === 'string' ? v : [...v];
    }
    const via = part.via.length === 0 ? part.via : [...part.via];
    mapInto(out, via as string[], identity, undefined);
    const ours = viaOf(opts.encodingVersion, opts.viaHost);
    out['Via'] = via.length === 0 ? ours : `${via.join(', ')}, ${ours}`;
    return out;
  }
}

/** Names (as `headerKey` spells them: lower case, `-` for `_`) a request sets itself, left out of a `HeadBlocks.block`. */
export type OwnFields = ReadonlySet<string>;

/** A written block and what it was written from (`HeadBlocks.block`). */
interface Block {
  readonly part: ClientPart;
  readonly via: string;
  readonly own: OwnFields;
  readonly text: string;
}

/**
 * `ClientHeaders.request` as head lines, kept: the last block written for each identity list
 * (one per binding and address, src/policy/identity.ts `ownHeaders`, held weakly), reused while
 * the handset's part, the Via entry and the names left out are the same. A handset's requests
 * repeat all of these, so a request costs one lookup instead of copying, checking and writing
 * a dozen fields again (bench/RESULTS.md, "WSP CPU per cycle: seventh pass").
 */
export class HeadBlocks {
  private readonly byIdentity = new WeakMap<HeaderList, Block>();

  constructor(private readonly headers: ClientHeaders) {}

  block(part: ClientPart, identity: HeaderList, encodingVersion: string, viaHost: string, own: OwnFields): string {
    const via = viaOf(encodingVersion, viaHost);
    const kept = this.byIdentity.get(identity);
    if (kept !== undefined && kept.part === part && kept.via === via && kept.own === own) return kept.text;
    // each line checked again, and what the caller sets per request (the session id, the
    // correlation id, the body's Content-Type) left out whatever its letter case: never the handset's
    const { text } = fieldLines(this.headers.request(part, identity, { encodingVersion, viaHost }), own);
    this.byIdentity.set(identity, { part, via, own, text });
    return text;
  }
}

/** Our Via entry (RFC 9110 §7.6.3) for an encoding version and host, made once for each (they are few). */
function viaOf(version: string, host: string): string {
  let byVersion = VIA.get(host);
  if (byVersion === undefined) {
    if (VIA.size >= 16) VIA.clear();
    VIA.set(host, (byVersion = new Map()));
  }
  let v = byVersion.get(version);
  if (v === undefined) {
    if (byVersion.size >= 16) byVersion.clear();
    byVersion.set(version, (v = `WAP/${version} ${host} (wapgw)`));
  }
  return v;
}
const VIA = new Map<string, Map<string, string>>();

/**
 * HTTP response fields (flat [name, value, ...] as received) -> text headers for the WSP Reply
 * (names lower-cased, a name's values in order) and its Content-Type, which travels separately
 * (the first one). Left out: hop-by-hop and framing fields, the names the MMSC's Connection lists
 * (RFC 9110 §7.6.1), Date, Server and Via.
 */
export function toWspReplyHeaders(raw: readonly string[]): { contentType: string; headers: HeaderList } {
  // names the MMSC's Connection lists; those never forwarded anyway (keep-alive, close) need no set
  let drop: Set<string> | undefined;
  for (const n of listMembers(raw, 'connection')) if (!NOT_FORWARDED.has(n)) (drop ??= new Set()).add(n);
  let contentType: string | undefined;
  const headers: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) {
    const l = lowerFieldName(raw[i] as string);
    const v = raw[i + 1] as string;
    if (l === 'content-type') {
      contentType ??= v;
      continue;
    }
    if (NOT_FORWARDED.has(l) || drop?.has(l) || l === 'date' || l === 'server' || l === 'via') continue;
    headers.push([l, v]);
  }
  return { contentType: contentType ?? 'application/octet-stream', headers };
}
