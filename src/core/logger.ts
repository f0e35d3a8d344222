/**
 * Logger factory. Loggers are passed to constructors, never imported as a singleton
 * (docs/architecture.md, rule 5). MSISDN, IMSI and IMEISV are personal data: replaced by `[redacted]`
 * unless the operator sets `log.redactPersonalData: false` (rule 9).
 *
 * Redaction is a copy-on-write scrub of those keys in the log object, at the top level and up
 * to two objects deep, plus per-key serializers for child bindings. It replaces pino's wildcard redact paths,
 * which walked every object of every line and cost about 6 % of the proxy's CPU under load
 * (bench/lib/findings.md); a line without personal keys is now passed on untouched.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  redactPersonalData?: boolean;
  destination?: DestinationStream;
}

export const PERSONAL_KEYS = ['msisdn', 'imsi', 'imeisv'] as const;
const PERSONAL: ReadonlySet<string> = new Set(PERSONAL_KEYS);
const CENSOR = '[redacted]';
const MAX_DEPTH = 2;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The object with personal keys censored; the same object when it holds none. Never mutates. */
export function scrubPersonal(o: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let out = o;
  for (const k in o) {
    const v = o[k];
    let nv = v;
    if (PERSONAL.has(k)) {
      if (v !== undefined && v !== CENSOR) nv = CENSOR;
    } else if (depth < MAX_DEPTH && isPlainObject(v)) {
      nv = scrubPersonal(v, depth + 1);
    }
    if (nv !== v) {
      if (out === o) out = { ...o };
      out[k] = nv;
    }
  }
  return out;
}

const censor = (v: unknown): unknown => (v === undefined ? v : CENSOR);

export function createLogger(opts: LoggerOptions = {}): Logger {
  const redact = opts.redactPersonalData ?? true;
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: 'wapgw' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Nested objects: the log formatter. Top-level keys of lines and of child bindings (pino
    // does not run the bindings formatter for children): per-key serializers.
    ...(redact
      ? {
          formatters: { log: (o: Record<string, unknown>) => scrubPersonal(o), bindings: (b: pino.Bindings) => scrubPersonal(b) },
          serializers: Object.fromEntries(PERSONAL_KEYS.map((k) => [k, censor])),
        }
      : {}),
  };
  const root = opts.destination ? pino(options, opts.destination) : pino(options);
  return withReplacingChildren(root);
}

/**
 * pino appends a child's bindings to its parent's, so a child that binds a key its parent bound
 * (`component: 'wtp'` under `component: 'wsp'`) wrote that key twice in one JSON line. Here a
 * child that rebinds a key is made from the root with the parent's bindings overridden, so each
 * line has each key once and the innermost value wins. Every other child is pino's own.
 */
function withReplacingChildren(root: Logger): Logger {
  type ChildFn = (this: Logger, bindings: pino.Bindings, childOpts?: pino.ChildLoggerOptions) => Logger;
  const plainChild = root.child as unknown as ChildFn;
  const chindings = pino.symbols.chindingsSym as unknown as string;
  const rootKeys = Object.keys(root.bindings());
  const replacing: ChildFn = function child(this: Logger, bindings, childOpts) {
    const mine = (this as unknown as Record<string, string | undefined>)[chindings] ?? '';
    const rebinds = Object.keys(bindings).some((k) => mine.includes(`"${k}":`));
    if (!rebinds) return plainChild.call(this, bindings, childOpts);
    const merged: pino.Bindings = { ...this.bindings(), ...bindings };
    for (const k of rootKeys) if (!(k in bindings)) delete merged[k];
    const c = plainChild.call(root, merged, childOpts);
    c.level = this.level;
    return c;
  };
  root.child = replacing as unknown as Logger['child'];
  return root;
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
