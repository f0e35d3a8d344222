/**
 * The static subscriber file (contract: `subscribers.staticFile`): a YAML list of
 * `{ip | prefix, msisdn, imsi?, imeisv?}`, loaded at start and on SIGHUP.
 *
 * The YAML is read with the failsafe schema, so every scalar stays the string the operator
 * wrote: an unquoted IMSI such as 001010000000001 keeps its leading zeros (the core schema
 * would read it as a number and drop them). Every entry is validated (zod); each problem is one
 * line naming the entry, `[3].msisdn: ...`. A reload validates the whole file first and changes
 * nothing when there is any problem.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { Config } from '../config/schema';
import { ConfigError } from '../core/errors';
import type { Logger } from '../core/logger';
import { parseAddress, parseCidr } from '../core/net';
import { tableKey, type SubscriberTable } from './table';
import type { Subscriber } from './types';

const MSISDN = /^\+?[0-9]{3,20}$/;
const IMSI = /^[0-9]{5,15}$/;
const IMEISV = /^[0-9]{14,16}$/;

const text = () => z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a text value') });

const entrySchema = z
  .object({
    ip: z
      .string()
      .refine((s) => parseAddress(s) !== null, 'not an IPv4 or IPv6 address (for an IPv6 prefix use "prefix")')
      .optional(),
    prefix: z
      .string()
      .superRefine((s, ctx) => {
        const c = parseCidr(s);
        if (typeof c === 'string') ctx.addIssue({ code: 'custom', message: c });
        else if (c.family !== 6) ctx.addIssue({ code: 'custom', message: `"${s}": only IPv6 prefixes are matched by prefix; give IPv4 addresses one by one with "ip"` });
        else if (c.prefix < 64) ctx.addIssue({ code: 'custom', message: `"${s}": prefixes are matched per /64; give a /64 (or longer)` });
      })
      .optional(),
    msisdn: text().regex(MSISDN, 'an MSISDN is 3 to 20 digits, optionally after "+"'),
    imsi: z.string().regex(IMSI, 'an IMSI is 5 to 15 digits (quote it if it starts with 0)').optional(),
    imeisv: z.string().regex(IMEISV, 'an IMEISV is 14 to 16 digits').optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.ip === undefined && e.prefix === undefined) ctx.addIssue({ code: 'custom', message: 'needs "ip" or "prefix"', path: ['ip'] });
    if (e.ip !== undefined && e.prefix !== undefined) ctx.addIssue({ code: 'custom', message: 'give "ip" or "prefix", not both', path: ['prefix'] });
  });

export type StaticEntry = z.infer<typeof entrySchema>;

export type StaticLoadResult = { ok: true; subscribers: Subscriber[] } | { ok: false; errors: string[] };

const pathText = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/** Validates the text of a static file; `now` stamps `since`. Never throws. */
export function parseStaticSubscribers(text: string, opts: { maxEntries: number; now: number }): StaticLoadResult {
  let doc: unknown;
  try {
    doc = parseYaml(text, { schema: 'failsafe', uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    return { ok: false, errors: [`(file): not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (doc === null || doc === undefined || doc === '') return { ok: true, subscribers: [] };
  if (!Array.isArray(doc)) return { ok: false, errors: ['(file): must be a YAML list of {ip | prefix, msisdn, imsi?, imeisv?}'] };
  if (doc.length > opts.maxEntries) {
    return { ok: false, errors: [`(file): ${doc.length} entries, more than subscribers.maxEntries (${opts.maxEntries})`] };
  }
  const errors: string[] = [];
  const subscribers: Subscriber[] = [];
  const seen = new Map<string, number>();
  doc.forEach((raw: unknown, i: number) => {
    const r = entrySchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const msg = issue.code === 'invalid_type' && issue.path.length === 0 ? 'must be a mapping {ip | prefix, msisdn, ...}' : issue.message;
        errors.push(`${pathText([i, ...issue.path])}: ${msg}`);
      }
      return;
    }
    const e = r.data;
    const field = e.ip !== undefined ? 'ip' : 'prefix';
    const key = tableKey((e.ip ?? e.prefix) as string);
    if (key === null) {
      errors.push(`[${i}].${field}: not usable as a subscriber key`);
      return;
    }
    const prev = seen.get(key);
    if (prev !== undefined) {
      errors.push(`[${i}].${field}: ${key} is already bound by entry [${prev}]`);
      return;
    }
    seen.set(key, i);
    subscribers.push({
      key,
      msisdn: e.msisdn,
      ...(e.imsi !== undefined ? { imsi: e.imsi } : {}),
      ...(e.imeisv !== undefined ? { imeisv: e.imeisv } : {}),
      source: 'static',
      since: opts.now,
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, subscribers };
}

export interface StaticSubscribersDeps {
  config: Config['subscribers'];
  /** The memory table, or the Redis store (whose static layer is this instance's own). */
  table: Pick<SubscriberTable, 'maxEntries' | 'replaceStatic'>;
  logger: Logger;
  now?: () => number;
}

export type ReloadOutcome = { ok: true; count: number; file: string | null } | { ok: false; errors: string[]; file: string | null };

/**
 * Loads `subscribers.staticFile` into the table. As a gateway component it loads at start
 * (a broken file stops the start with every problem listed) and takes part in SIGHUP reloads
 * through `prepareReload`; `reload()` is the same thing for direct callers.
 */
export class StaticSubscribers {
  readonly name = 'static-subscribers';
  private file: string | null;
  private readonly table: Pick<SubscriberTable, 'maxEntries' | 'replaceStatic'>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private loadedCount = 0;

  constructor(deps: StaticSubscribersDeps) {
    this.file = deps.config.staticFile;
    this.table = deps.table;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
  }

  /** Reads and validates a file without touching the table. */
  read(file: string | null): StaticLoadResult {
    if (file === null) return { ok: true, subscribers: [] };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return { ok: false, errors: [`(file): cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
    }
    return parseStaticSubscribers(text, { maxEntries: this.table.maxEntries, now: this.now() });
  }

  /**
   * Re-reads the file (or `file`, which becomes the file from now on when valid). On any
   * problem the current static bindings stay and the problems are returned (and logged).
   */
  reload(file: string | null = this.file): ReloadOutcome {
    const r = this.read(file);
    if (!r.ok) {
      for (const e of r.errors) this.logger.error({ file, problem: e }, 'static subscriber file refused');
      return { ok: false, errors: r.errors, file };
    }
    this.apply(file, r.subscribers);
    return { ok: true, count: r.subscribers.length, file };
  }

  async start(): Promise<[]> {
    const r = this.read(this.file);
    if (!r.ok) throw new ConfigError(r.errors.map((e) => `subscribers.staticFile ${this.file ?? ''} ${e}`));
    this.apply(this.file, r.subscribers);
    return [];
  }

  async close(): Promise<void> {
    // nothing held
  }

  /** SIGHUP: validate the (possibly new) file; refuse the whole reload when it is broken. */
  prepareReload(next: Config): () => void {
    const file = next.subscribers.staticFile;
    const r = this.read(file);
    if (!r.ok) throw new ConfigError(r.errors.map((e) => `subscribers.staticFile ${file ?? ''} ${e}`));
    return () => this.apply(file, r.subscribers);
  }

  status(): Record<string, unknown> {
    return { file: this.file, entries: this.loadedCount };
  }

  private apply(file: string | null, subs: Subscriber[]): void {
    this.file = file;
    this.loadedCount = this.table.replaceStatic(subs);
    this.logger.info({ file, entries: this.loadedCount }, 'static subscribers loaded');
  }
}
