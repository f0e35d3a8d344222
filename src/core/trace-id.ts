/**
 * Correlation ids (`trace.*`): one id per forwarded request, from the handset's request to the
 * MMSC, so an operator can follow one MMS through the gateway's access log, its usage record and
 * the MMSC's own logs. The id is this process's random prefix and a counter (unique without a
 * random draw per request): `<12 hex>-<base36 counter>`. A client's copy of the header (any
 * letter case, `_` for `-`) is removed first: the id is ours, never the handset's.
 */
import { randomBytes } from 'node:crypto';
import { headerKey } from './http';

export class TraceIds {
  readonly header: string;
  private readonly lower: string;
  private readonly prefix = randomBytes(6).toString('hex');
  private n = 0;

  constructor(header: string) {
    this.header = header;
    this.lower = headerKey(header);
  }

  next(): string {
    this.n++;
    return `${this.prefix}-${this.n.toString(36)}`;
  }

  /** In a header list: removes every client copy, appends a new id and returns it. */
  applyToList(headers: Array<[string, string]>): string {
    for (let i = headers.length - 1; i >= 0; i--) if (headerKey((headers[i] as [string, string])[0]) === this.lower) headers.splice(i, 1);
    const id = this.next();
    headers.push([this.header, id]);
    return id;
  }

  /** In a header object: the same. */
  applyToObject(headers: Record<string, string | string[] | undefined>): string {
    for (const k of Object.keys(headers)) if (headerKey(k) === this.lower) delete headers[k];
    const id = this.next();
    headers[this.header] = id;
    return id;
  }
}

