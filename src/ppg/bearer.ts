/**
 * The PPG's delivery seam: what the push queue (src/ppg/ppg.ts) hands a WSP Push to, and what it
 * gets back. Two bearers (WAP-249 PPG service §6: the PPG chooses the bearer per address):
 *
 *   SmsBearer  an SMPP 3.4 client toward the operator's SMSCs (src/ppg/bearers/smpp.ts): the WDP
 *              datagram is split into 8-bit binary SMS with a UDH (3GPP TS 23.040 §9.2.3.24:
 *              16-bit ports 2948 <- 9200, concatenation when over one SMS), submit_sm per part.
 *   IpBearer   one UDP datagram to port 2948 (WAP-259 WDP over IP; src/ppg/bearers/ip.ts).
 *
 * `wdp` is always the connectionless WSP Push PDU (TID first) from `encodeConnectionlessPush`
 * (src/ppg/wsp-push.ts). Bearers never throw for a delivery failure: they answer a BearerOutcome
 * whose `retry` says whether the queue may try again later (transient: throttled, queue full,
 * no SMSC bound) or must give up (permanent: invalid destination, message too long).
 *
 * Config (for the ppg-pap helper, who adds the zod schema under `ppg.smsc`): each list entry is a
 * SmscOptions below; key names are the YAML names. `ppg.smsc` is in failover order: the first
 * bound SMSC takes every submit; the next one takes over while it is down.
 */

export type BearerOutcome =
  /** The SMSC accepted every part (its message_ids in part order) / the datagram was sent. */
  | { ok: true; messageIds: string[] }
  /** `retry`: transient, try again later. `code`: stable (ERR_SMPP_THROTTLED, ERR_SMPP_STATUS_0x..., ...). */
  | { ok: false; retry: boolean; code: string; reason: string };

export type ReceiptState = 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'deleted' | 'unknown';

export interface DeliveryReceipt {
  /** The SMSC's message_id, as returned in submit_sm_resp (matches one of BearerOutcome.messageIds). */
  messageId: string;
  state: ReceiptState;
  /** ms since the epoch when the receipt arrived (the receipt's own `done date` has no zone). */
  at: number;
  /** The receipt text of the deliver_sm (SMPP 3.4 Appendix B), when there was one. */
  raw?: string;
}

export interface SmsSubmitOptions {
  /** Ask the SMSC for a delivery receipt (registered_delivery = 1, SMPP 3.4 §5.2.17). */
  registeredDelivery: boolean;
  /** Concatenation reference to use (0-255 with 8-bit refs, 0-65535 with 16-bit); default: next of a counter. */
  ref?: number;
}

export interface SmsBearer {
  /** Splits `wdp` into SMS (UDH ports 2948 <- 9200, concatenated when needed) and submits every part to `msisdn`. */
  submit(msisdn: string, wdp: Buffer, opts: SmsSubmitOptions): Promise<BearerOutcome>;
  /**
   * The same as `submit`, answering through `done` (called exactly once, possibly before this
   * returns) instead of a promise: the PPG's delivery path uses it when the bearer has it, so a
   * push costs no promise between the queue and the SMSC.
   */
  submitWith?(msisdn: string, wdp: Buffer, opts: SmsSubmitOptions, done: (o: BearerOutcome) => void): void;
  /** Every delivery receipt (deliver_sm with esm_class receipt bits) goes to each callback. */
  onReceipt(cb: (r: DeliveryReceipt) => void): void;
  /** For admin /status: state per SMSC, window in use, queued submits. JSON-serialisable. */
  status(): Record<string, unknown>;
  /** True while at least one SMSC session is bound. */
  healthy(): boolean;
  start(): Promise<void>;
  /** Unbinds every session; submits still waiting at `deadline` (ms epoch) answer retry:true. */
  close(deadline: number): Promise<void>;
}

export interface IpBearer {
  /** Sends `wdp` as one UDP datagram to `address` port 2948 (IPv4 or IPv6 text). */
  send(address: string, wdp: Buffer): Promise<BearerOutcome>;
}

/**
 * One SMSC of `ppg.smsc` (YAML keys as named here). Only `host` is required; the defaults are the
 * values in DEFAULT_SMSC_OPTIONS. ppg-pap: the zod schema should use exactly these names/defaults.
 */
export interface SmscOptions {
  host: string;
  /** SMPP port; 2775 is the IANA-registered port. */
  port?: number;
  /** bind system_id (SMPP 3.4 §5.2.1, at most 15 characters). */
  systemId?: string;
  /** bind password (at most 8 characters). */
  password?: string;
  /** bind system_type (at most 12 characters), '' when unset. */
  systemType?: string;
  /** 'transmitter' (bind_transmitter; receipts then need a separate receiver bind, not made) or 'transceiver' (default: receipts on the same session). */
  bindMode?: 'transmitter' | 'transceiver';
  /** submit_sm per second to this SMSC (token bucket, burst of one second). */
  maxPerSecond?: number;
  /** Outstanding submit_sm without a submit_sm_resp (the SMPP window). */
  windowSize?: number;
  /** Concatenation reference size: 8 (IEI 0x00, default) or 16 (IEI 0x08). */
  concatRefBits?: 8 | 16;
  /** Most SMS one push may take; a longer push fails with ERR_SMS_TOO_MANY_PARTS (not retried). */
  maxParts?: number;
  /** enquire_link period while bound. */
  enquireLinkMs?: number;
  /** First reconnect delay; doubles each failure up to reconnectMaxMs. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How long a submit_sm may wait for its submit_sm_resp before the session is considered dead. */
  responseTimeoutMs?: number;
  /** source_addr of submit_sm ('' lets the SMSC fill in its default) with its TON/NPI. */
  sourceAddr?: string;
  sourceAddrTon?: number;
  sourceAddrNpi?: number;
  /** service_type of submit_sm ('' = SMSC default; some SMSCs want 'WAP'). */
  serviceType?: string;
}

export const DEFAULT_SMSC_OPTIONS = {
  port: 2775,
  systemId: '',
  password: '',
  systemType: '',
  bindMode: 'transceiver',
  maxPerSecond: 50,
  windowSize: 10,
  concatRefBits: 8,
  maxParts: 8,
  enquireLinkMs: 30_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 60_000,
  responseTimeoutMs: 10_000,
  sourceAddr: '',
  sourceAddrTon: 0,
  sourceAddrNpi: 0,
  serviceType: '',
} as const satisfies Required<Omit<SmscOptions, 'host'>>;

export type ResolvedSmscOptions = { host: string } & { -readonly [K in keyof typeof DEFAULT_SMSC_OPTIONS]: Required<SmscOptions>[K] };

export function resolveSmscOptions(o: SmscOptions): ResolvedSmscOptions {
  const out = { ...DEFAULT_SMSC_OPTIONS, host: o.host } as ResolvedSmscOptions;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** The WDP ports of WAP Push (WAP-259 Appendix B; IANA): destination on the phone, source at the PPG. */
export const WAP_PUSH_PORT = 2948;
export const WSP_CL_PORT = 9200;
