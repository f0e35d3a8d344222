/**
 * What an authenticated Accounting-Request does to the subscriber table (RFC 2866 §5.1, §5.5;
 * RFC 2866, RFC 2869, RFC 3162, TS 29.061 §16). Transport-free: the RADIUS server verifies and
 * decodes, `extractAccounting` turns the decoded attributes into an `AccountingRequest`, and
 * `applyAccounting` changes the table synchronously, before the server answers.
 *
 * | Acct-Status-Type | rule |
 * |---|---|
 * | Start | binds the Framed-IP-Address and the /64 of Framed-IPv6-Prefix (or of Framed-IPv6-Address), the /64 binding noting the phone's own address when the NAS gave it (Framed-IPv6-Address, RFC 6911 §3.1; Framed-Interface-Id on the prefix, RFC 3162 §2.1); **replaces** any binding of that address held by another subscriber (a lost Stop must not leave a reused IP bound to the wrong person); the same subscriber from the same NAS with a new Acct-Session-Id is one more context (secondary PDP context / bearer) of the binding |
 * | Interim-Update | the same as Start (acts as a Start when the session is unknown), keeping the original bind time |
 * | Stop | removes the session only when its Acct-Session-Id is bound to that address; the binding goes with its last context, or at once when 3GPP-Session-Stop-Indicator is present. A Stop with the indicator for an unknown context of the same subscriber from the same NAS also ends it. Anything else (late or duplicate Stop): nothing. Every Stop with an Acct-Session-Id is remembered as ended |
 * | Accounting-On / Accounting-Off | removes every binding learned from that NAS (by NAS-IP-Address, NAS-IPv6-Address, NAS-Identifier and the source address) |
 * | others (Failed, tunnel types) | nothing |
 *
 * Late records (`stale`: answered, counted, changes nothing). A Start or Interim arriving after
 * the fact must not take an address from the person who holds it now:
 * - a Start or Interim of a session whose Stop was already seen (same NAS, address and
 *   Acct-Session-Id; table.ts remembers ended sessions);
 * - a Start or Interim that would replace another subscriber's binding but happened before that
 *   binding began. When it happened: our clock minus Acct-Delay-Time (RFC 2866 §5.2: how long the
 *   NAS has been trying to send it), else Event-Timestamp (RFC 2869 §5.3, the NAS's clock; NAS
 *   clocks are NTP-synchronised for charging), else now; never later than now. A binding begins at
 *   the time of the record that created it (`since`). Ties and differences within
 *   STALE_TOLERANCE_MS (Event-Timestamp has one-second resolution) go to the newer arrival.
 */
import type { RadiusPacket } from 'radius';
import { isIPv4 } from 'node:net';
import { formatIpv6, subscriberKey } from '../core/net';
import { parseFramedIpv6Prefix } from './radius-packet';
import type { Binding, SubscriberTable } from './table';

export type StatusType = 'start' | 'stop' | 'interim' | 'accounting-on' | 'accounting-off' | 'other';

/** Acct-Status-Type (RFC 2866 §5.1, RFC 2869 §5.1) as decoded by `radius` (enum name or number). */
const STATUS_TYPES = [
  [1, 'Start', 'start'],
  [2, 'Stop', 'stop'],
  [3, 'Interim-Update', 'interim'],
  [7, 'Accounting-On', 'accounting-on'],
  [8, 'Accounting-Off', 'accounting-off'],
] as const;
const STATUS_BY_NAME = new Map<string | number, StatusType>(STATUS_TYPES.flatMap(([code, name, t]) => [[code, t], [name, t]] as const));

/** At most this many Acct-Session-Ids (contexts) per address: NSAPI 5..15 gives 11. */
export const MAX_CONTEXTS = 16;

export interface AccountingRequest {
  status: StatusType;
  /** The NAS identity bindings are filed under: NAS-IP-Address, else NAS-IPv6-Address, else NAS-Identifier, else the source address. */
  nas: string;
  /** Every identity this NAS goes by (Accounting-On/Off flushes all of them). */
  nasAliases: string[];
  sessionId: string | undefined;
  /** Framed-IP-Address, when a usable unicast address. */
  ipv4: string | undefined;
  /** The /64 key of Framed-IPv6-Prefix (or of Framed-IPv6-Address when no prefix came). */
  ipv6Key: string | undefined;
  /**
   * The phone's own IPv6 address in that /64, when the NAS said it: Framed-IPv6-Address
   * (RFC 6911 §3.1), or Framed-Interface-Id (RFC 3162 §2.1) on the prefix. The PPG needs it to
   * push over IP (`ppg.ipPushForBound`); the /64 alone names no host.
   */
  ipv6Address: string | undefined;
  msisdn: string | undefined;
  imsi: string | undefined;
  imeisv: string | undefined;
  sgsnAddress: string | undefined;
  ratType: number | undefined;
  apn: string | undefined;
  sessionStopIndicator: boolean;
  /** Acct-Delay-Time, seconds. */
  delaySeconds: number | undefined;
  /** Event-Timestamp, ms since the epoch (the NAS's clock). */
  eventTimestamp: number | undefined;
  /** Attributes present but unusable (logged, never fatal: the NAS would only retry). */
  warnings: string[];
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const str = (v: unknown): string | undefined => {
  const s = first(v);
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  return t === '' ? undefined : t;
};
const buf = (v: unknown): Buffer | undefined => {
  const b = first(v);
  return Buffer.isBuffer(b) ? b : undefined;
};

function ipv6Text(b: Buffer | undefined): string | undefined {
  if (!b || b.length !== 16) return undefined;
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(i).toString(16));
  return w.join(':');
}

const MSISDN = /^\+?[0-9]{1,20}$/;
const DIGITS = /^[0-9]{1,16}$/;

/** Event-Timestamp as decoded by `radius` (a Date; 0 means unset), in ms. */
function eventTimestampOf(v: unknown): number | undefined {
  const ms = v instanceof Date ? v.getTime() : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Reads what the table needs from a decoded Accounting-Request (3GPP dictionary loaded). */
export function extractAccounting(pkt: RadiusPacket, sourceAddress: string): AccountingRequest {
  const a = (pkt.attributes ?? {}) as Record<string, unknown>;
  const v = ((a['Vendor-Specific'] ?? {}) as Record<string, unknown>) || {};
  const warnings: string[] = [];
  const statusRaw = first(a['Acct-Status-Type']);
  const status = STATUS_BY_NAME.get(statusRaw as string | number) ?? 'other';

  const nasIp = str(a['NAS-IP-Address']);
  const nasIp6 = ipv6Text(buf(a['NAS-IPv6-Address']));
  const nasId = str(a['NAS-Identifier']);
  const nasAliases = [...new Set([nasIp, nasIp6, nasId, sourceAddress].filter((x): x is string => x !== undefined))];
  const nas = nasAliases[0] as string;

  let ipv4 = str(a['Framed-IP-Address']);
  if (ipv4 !== undefined && (!isIPv4(ipv4) || ipv4 === '0.0.0.0' || ipv4 === '255.255.255.255' || ipv4 === '255.255.255.254')) {
    warnings.push(`Framed-IP-Address ${ipv4} is not a subscriber address`);
    ipv4 = undefined;
  }
  let ipv6Key: string | undefined;
  let prefixBytes: Buffer | undefined;
  const p6 = buf(a['Framed-IPv6-Prefix']);
  if (p6) {
    try {
      const { address, length } = parseFramedIpv6Prefix(p6);
      if (length < 64) warnings.push(`Framed-IPv6-Prefix /${length} is shorter than /64: only its first /64 is bound`);
      ipv6Key = subscriberKey(address) ?? undefined;
      if (ipv6Key !== undefined) prefixBytes = Buffer.from(address.split(':').flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 0xff]));
    } catch (err) {
      warnings.push((err as Error).message);
    }
  }
  let ipv6Address: string | undefined;
  const fa = buf(a['Framed-IPv6-Address']);
  const ifid = buf(a['Framed-Interface-Id']);
  if (fa) {
    const text = fa.length === 16 && fa[0] !== 0 && fa[0] !== 0xff ? formatIpv6(fa) : undefined;
    const key = text !== undefined ? (subscriberKey(text) ?? undefined) : undefined;
    if (key === undefined) warnings.push('Framed-IPv6-Address is not a unicast IPv6 address: ignored');
    else if (ipv6Key !== undefined && key !== ipv6Key) warnings.push(`Framed-IPv6-Address ${text} is outside Framed-IPv6-Prefix ${ipv6Key}: ignored`);
    else {
      ipv6Address = text;
      ipv6Key ??= key; // an address without a prefix: its /64 is the phone's
    }
  } else if (ifid && prefixBytes) {
    if (ifid.length !== 8) warnings.push(`Framed-Interface-Id of ${ifid.length} octets (8 expected): ignored`);
    else ipv6Address = formatIpv6(Buffer.concat([prefixBytes.subarray(0, 8), ifid]));
  }

  let msisdn = str(a['Calling-Station-Id']);
  if (msisdn !== undefined && !MSISDN.test(msisdn)) {
    warnings.push('Calling-Station-Id is not an MSISDN (digits, optional "+"): ignored');
    msisdn = undefined;
  }
  let imsi = str(v['3GPP-IMSI']);
  if (imsi !== undefined && !DIGITS.test(imsi)) {
    warnings.push('3GPP-IMSI is not digits: ignored');
    imsi = undefined;
  }
  let imeisv = str(v['3GPP-IMEISV']);
  if (imeisv !== undefined && !DIGITS.test(imeisv)) {
    warnings.push('3GPP-IMEISV is not digits: ignored');
    imeisv = undefined;
  }
  const rat = buf(v['3GPP-RAT-Type']);
  let ratType: number | undefined;
  if (rat && rat.length === 1) ratType = rat[0];
  else if (rat && rat.length === 4) ratType = rat.readUInt32BE(0);
  else if (rat) warnings.push(`3GPP-RAT-Type of ${rat.length} octets (1 expected): ignored`);
  const apn = str(a['Called-Station-Id']);

  return {
    status,
    nas,
    nasAliases,
    sessionId: str(a['Acct-Session-Id']),
    ipv4,
    ipv6Key,
    ipv6Address,
    msisdn,
    imsi,
    imeisv,
    sgsnAddress: str(v['3GPP-SGSN-Address']) ?? ipv6Text(buf(v['3GPP-SGSN-IPv6-Address'])),
    ratType,
    apn: apn !== undefined && apn.length <= 253 ? apn : undefined,
    sessionStopIndicator: v['3GPP-Session-Stop-Indicator'] !== undefined,
    delaySeconds: typeof first(a['Acct-Delay-Time']) === 'number' ? (first(a['Acct-Delay-Time']) as number) : undefined,
    eventTimestamp: eventTimestampOf(first(a['Event-Timestamp'])),
    warnings,
  };
}

export type AccountingAction =
  | 'bound'
  | 'refreshed'
  | 'context-added'
  | 'replaced'
  | 'stale'
  | 'context-removed'
  | 'unbound'
  | 'no-binding'
  | 'other-session'
  | 'no-address'
  | 'flushed'
  | 'ignored';

/** Records this much older than the binding they would replace are stale; closer ones still replace it. */
export const STALE_TOLERANCE_MS = 2000;

/** When the record's event happened, on our clock as far as we can tell (see the header). */
export function eventTime(r: Pick<AccountingRequest, 'delaySeconds' | 'eventTimestamp'>, now: number): number {
  if (r.delaySeconds !== undefined) return now - r.delaySeconds * 1000;
  if (r.eventTimestamp !== undefined) return Math.min(now, r.eventTimestamp);
  return now;
}

export interface AccountingOutcome {
  /** One entry per address key touched (or one for a flush / ignore). */
  results: Array<{ key?: string; action: AccountingAction; count?: number }>;
}

const keysOf = (r: AccountingRequest): string[] => [r.ipv4, r.ipv6Key].filter((k): k is string => k !== undefined);

/** Same person: equal IMSI when both have one, else equal MSISDN when both have one. */
function sameSubscriber(b: Binding, r: AccountingRequest): boolean {
  if (b.imsi !== undefined && r.imsi !== undefined) return b.imsi === r.imsi;
  if (b.msisdn !== undefined && r.msisdn !== undefined) return b.msisdn === r.msisdn;
  return false;
}

function upsert(table: SubscriberTable, r: AccountingRequest, key: string, now: number): AccountingAction {
  const sid = r.sessionId;
  if (sid !== undefined && table.hasEnded(r.nas, key, sid)) return 'stale';
  const old = table.peekRadius(key);
  const at = eventTime(r, now);
  const fresh = {
    key,
    msisdn: r.msisdn,
    imsi: r.imsi,
    imeisv: r.imeisv,
    sgsnAddress: r.sgsnAddress,
    ratType: r.ratType,
    apn: r.apn,
    ipv6Address: key === r.ipv6Key ? r.ipv6Address : undefined,
    source: 'radius' as const,
    nas: r.nas,
  };
  if (old && old.nas === r.nas && (sameSubscriber(old, r) || (sid !== undefined && old.allSessions().includes(sid)))) {
    // The same session or one more context of the same subscriber: refresh what the NAS sent, keep the rest.
    const sessions = old.allSessions();
    const known = sid === undefined || sessions.includes(sid);
    const next = known ? sessions : [...sessions, sid].slice(-MAX_CONTEXTS);
    table.bind({
      key,
      msisdn: r.msisdn ?? old.msisdn,
      imsi: r.imsi ?? old.imsi,
      imeisv: r.imeisv ?? old.imeisv,
      sgsnAddress: r.sgsnAddress ?? old.sgsnAddress,
      ratType: r.ratType ?? old.ratType,
      apn: r.apn ?? old.apn,
      ipv6Address: (key === r.ipv6Key ? r.ipv6Address : undefined) ?? old.ipv6Address,
      source: 'radius',
      nas: r.nas,
      acctSessionId: next.includes(old.acctSessionId as string) ? old.acctSessionId : next[0],
      sessions: next,
      since: old.since,
    });
    return known ? 'refreshed' : 'context-added';
  }
  if (old && at + STALE_TOLERANCE_MS < old.since) return 'stale';
  table.bind({ ...fresh, acctSessionId: sid, since: at });
  return old ? 'replaced' : 'bound';
}

function stop(table: SubscriberTable, r: AccountingRequest, key: string): AccountingAction {
  const sid = r.sessionId;
  // whatever it finds, a Stop says this session is over: a late Start or Interim of it is stale
  if (sid !== undefined) table.markEnded(r.nas, key, sid);
  const old = table.peekRadius(key);
  if (!old) return 'no-binding';
  const sessions = old.allSessions();
  const endAll = (): void => {
    if (old.nas !== undefined) for (const s of sessions) table.markEnded(old.nas, key, s);
    table.unbind(key);
  };
  if (sid !== undefined && sessions.includes(sid)) {
    const rest = sessions.filter((s) => s !== sid);
    if (r.sessionStopIndicator || rest.length === 0) {
      endAll();
      return 'unbound';
    }
    table.bind({ ...old, acctSessionId: rest.includes(old.acctSessionId as string) ? old.acctSessionId : rest[0], sessions: rest });
    return 'context-removed';
  }
  if ((r.sessionStopIndicator || sid === undefined) && old.nas === r.nas && sameSubscriber(old, r)) {
    endAll();
    return 'unbound';
  }
  return 'other-session';
}

/** Applies one authenticated Accounting-Request to the table. `now` is wall-clock ms (binding time). */
export function applyAccounting(table: SubscriberTable, r: AccountingRequest, now: number): AccountingOutcome {
  switch (r.status) {
    case 'accounting-on':
    case 'accounting-off': {
      let count = 0;
      for (const n of r.nasAliases) count += table.flushNas(n);
      return { results: [{ action: 'flushed', count }] };
    }
    case 'start':
    case 'interim':
    case 'stop': {
      const keys = keysOf(r);
      if (keys.length === 0) return { results: [{ action: 'no-address' }] };
      return { results: keys.map((key) => ({ key, action: r.status === 'stop' ? stop(table, r, key) : upsert(table, r, key, now) })) };
    }
    default:
      return { results: [{ action: 'ignored' }] };
  }
}
