/**
 * Typed errors with stable codes (docs/architecture.md, rule 7). Tests assert `code`, never the
 * message. An error that can end a request carries `status`: the HTTP status the peer gets (a
 * WSP Reply carries it through WAP-230 Table 36, src/codec/wsp/tables.ts). WTP Abort reasons are
 * not errors here: the WTP machine chooses them itself (the Abort PDU reasons of WAP-224).
 */
export class WapgwError extends Error {
  readonly code: string;
  /** HTTP status the peer gets when this error ends a request, if any. */
  readonly status: number | undefined;
  constructor(code: string, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status;
  }
}

/** Malformed bytes. `offset` is where the decoder stood when it gave up. */
export class DecodeError extends WapgwError {
  readonly offset: number;
  readonly layer: string;
  constructor(layer: string, offset: number, message: string) {
    super(`ERR_${layer.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_DECODE`, `${layer}: ${message} at offset ${offset}`);
    this.offset = offset;
    this.layer = layer;
  }
}

/** A value that cannot be encoded (out of range, unknown code for the chosen version...). */
export class EncodeError extends WapgwError {
  constructor(layer: string, message: string) {
    super(`ERR_${layer.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_ENCODE`, `${layer}: ${message}`);
  }
}

/** A configuration file that does not validate; `problems` holds one `key.path: reason` line each. */
export class ConfigError extends WapgwError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('ERR_CONFIG', problems.join('\n'));
    this.problems = problems;
  }
}

export const isWapgwError = (e: unknown): e is WapgwError => e instanceof WapgwError;
