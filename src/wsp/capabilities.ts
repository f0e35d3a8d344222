/**
 * Capability negotiation for Connect/ConnectReply (WAP-230 §8.3, Table 37). Pure policy:
 * given what the client proposed and our limits, what we reply. We are honest about what
 * this gateway implements:
 *   - Client-SDU-Size: the client's value is accepted as is (0 = no limit); it bounds every
 *     Reply we send it (a larger one gets 413). Absent -> the WSP default 1400.
 *   - Server-SDU-Size: we offer wsp.maxMessageSize, the largest request we reassemble (an
 *     MMS m-send-req needs far more than the 1400 default).
 *   - Method-MOR: min(client, wsp.maxMethodMor); default 1.
 *   - Protocol Options: the intersection of the client's flags and what we do: Session
 *     Resume only (no push on this bearer, no ack headers, no large data transfer).
 *   - Push-MOR is omitted (no push), and so are Aliases, Extended Methods and Header Code
 *     Pages: a capability left out of the ConnectReply is declined (§8.3.2.1).
 */
export interface ProposedCapabilities {
  clientSduSize?: number;
  serverSduSize?: number;
  protocolOptions?: number;
  methodMor?: number;
  pushMor?: number;
  /** Names of the other capabilities the client proposed (Aliases, Extended-Methods...). */
  others?: string[];
}

export interface ReplyCapabilities {
  clientSduSize: number;
  serverSduSize: number;
  protocolOptions: number;
  methodMor: number;
  /** What we declined, for the log. */
  declined: string[];
}

export const DEFAULT_SDU_SIZE = 1400;
export const OPTION_SESSION_RESUME = 0x20;
/** What this server implements among the Protocol Options flags. */
export const SUPPORTED_OPTIONS = OPTION_SESSION_RESUME;

export interface CapabilityLimits {
  maxMessageSize: number;
  maxMethodMor: number;
}

export function negotiate(p: ProposedCapabilities, lim: CapabilityLimits): ReplyCapabilities {
  const declined = [...(p.others ?? [])];
  if (p.pushMor !== undefined) declined.push('Push-MOR');
  const opts = (p.protocolOptions ?? 0) & 0xff;
  if (opts & ~SUPPORTED_OPTIONS) declined.push(`Protocol-Options 0x${(opts & ~SUPPORTED_OPTIONS).toString(16)}`);
  return {
    clientSduSize: p.clientSduSize ?? DEFAULT_SDU_SIZE,
    serverSduSize: lim.maxMessageSize,
    protocolOptions: opts & SUPPORTED_OPTIONS,
    methodMor: Math.max(1, Math.min(p.methodMor ?? 1, lim.maxMethodMor)),
    declined,
  };
}

/** The Encoding-Version of replies: min(ours, the client's), 1.2 when the client said nothing. */
export function negotiateEncodingVersion(client: number | undefined, ours: number): number {
  return Math.min(client ?? 0x12, ours);
}

