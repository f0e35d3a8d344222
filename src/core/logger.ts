/**
 * Logger factory. Loggers are passed to constructors, never imported as a singleton
 * (house style 5). MSISDN and IMSI are personal data: redacted unless the operator
 * sets `log.redactPersonalData: false` (house style 9).
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  redactPersonalData?: boolean;
  destination?: DestinationStream;
}

export const PERSONAL_KEYS = ['msisdn', 'imsi', 'imeisv'] as const;

export function createLogger(opts: LoggerOptions = {}): Logger {
  const redact = opts.redactPersonalData ?? true;
  const paths = redact
    ? PERSONAL_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`])
    : [];
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: 'wapgw' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
