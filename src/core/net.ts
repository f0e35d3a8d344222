/**
 * Address helpers: parse IPv4/IPv6 literals, CIDR membership, and the subscriber-table key
 * (IPv4 exact address; IPv6 the /64 prefix, RFC 3162 §2.3: a UE picks any address in its /64).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { Memo } from './bounded';

export type Family = 4 | 6;

export interface ParsedAddress {
  family: Family;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** Strips an IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4` -> `1.2.3.4`) and any zone id. */
export function normalizeAddress(ip: string): string {
  let a = ip.trim();
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (m && m[1] !== undefined) return m[1];
  return a.toLowerCase();
}

export function parseAddress(ip: string): ParsedAddress | null {
  const a = normalizeAddress(ip);
  if (isIPv4(a)) {
    return { family: 4, bytes: Uint8Array.from(a.split('.').map(Number)) };
  }
  if (!isIPv6(a)) return null;
  const bytes = new Uint8Array(16);
  let head = a;
  let tail = '';
  const dbl = a.indexOf('::');
  if (dbl >= 0) {
    head = a.slice(0, dbl);
    tail = a.slice(dbl + 2);
  }
  const toWords = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const hw = toWords(head);
  const tw = toWords(tail);
  const words = [...hw, ...new Array<number>(8 - hw.length - tw.length).fill(0), ...tw];
  words.forEach((w, i) => {
    bytes[i * 2] = (w >> 8) & 0xff;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return { family: 6, bytes };
}

export interface Cidr {
  family: Family;
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

/** Parses `a.b.c.d/n`, `x::/n`, or a bare address (full-length prefix). Returns an error string on failure. */
export function parseCidr(text: string): Cidr | string {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined) return `"${text}" is not an address or CIDR`;
  const p = parseAddress(addr);
  if (!p) return `"${text}" is not an IPv4 or IPv6 address or CIDR`;
  const max = p.family === 4 ? 32 : 128;
  let prefix = max;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) return `"${text}" has a prefix length outside 0..${max}`;
    prefix = Number(len);
  }
  return { family: p.family, bytes: p.bytes, prefix, text: text.trim() };
}

export function inCidr(addr: ParsedAddress, cidr: Cidr): boolean {
  if (addr.family !== cidr.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((addr.bytes[i] ?? 0) & mask) !== ((cidr.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** A compiled list of networks; `contains` answers for a textual address. */
export class NetworkList {
  readonly cidrs: readonly Cidr[];
  constructor(cidrs: readonly string[]) {
    const out: Cidr[] = [];
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (typeof p === 'string') throw new Error(p);
      out.push(p);
    }
    this.cidrs = out;
  }
  static readonly MEMO_MAX = 4096;
  /** Answers for recent sources (a phone sends many requests from one address). */
  private readonly memo = new Memo<string, boolean>(NetworkList.MEMO_MAX);
  contains(ip: string): boolean {
    const known = this.memo.get(ip);
    if (known !== undefined) return known;
    const a = parseAddress(ip);
    return this.memo.set(ip, a !== null && this.cidrs.some((c) => inCidr(a, c)));
  }
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** Dotted-quad IPv4 without leading zeros: already its own key. */
const CANONICAL_IPV4 = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`);

/**
 * The subscriber-table key for an address: the IPv4 address itself, or for IPv6 the /64
 * prefix written as `xxxx:xxxx:xxxx:xxxx::/64`. Null for a non-address.
 */
export function subscriberKey(ip: string): string | null {
  if (CANONICAL_IPV4.test(ip)) return ip; // the common case, without parsing
  const a = parseAddress(ip);
  if (!a) return null;
  if (a.family === 4) return a.bytes.join('.');
  const w: string[] = [];
  for (let i = 0; i < 8; i += 2) w.push((((a.bytes[i] ?? 0) << 8) | (a.bytes[i + 1] ?? 0)).toString(16));
  return `${w.join(':')}::/64`;
}

/**
 * The key one phone's traffic is counted under (rate limits, connection and session caps): its
 * subscriber key, so an IPv6 phone cannot escape a per-source limit by moving around its /64;
 * the text itself for anything that is not an address.
 */
export function sourceKey(address: string): string {
  return subscriberKey(address) ?? address;
}

/** An IPv6 address in RFC 5952 §4 form: lower case, no leading zeros, the longest run of two or more zero words as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = -1;
  let bestLen = 1; // a single zero word is not shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** A subscriber key as people read it: IPv4 as is, an IPv6 /64 in RFC 5952 form (`0:0:0:0::/64` -> `::/64`). */
export function displayKey(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key;
  const a = parseAddress(key.slice(0, slash));
  return a && a.family === 6 ? `${formatIpv6(a.bytes)}${key.slice(slash)}` : key;
}
