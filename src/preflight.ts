/**
 * Preflight: everything `wapgw start` will load or rely on, checked before any socket opens,
 * and exactly what `wapgw check-config` reports. The schema (src/config/schema.ts) checks each
 * value alone; this checks what needs the file system or several keys at once:
 *
 * - `subscribers.staticFile` exists and is a valid static subscriber file (problem);
 * - two enabled listeners of one protocol on the same port and overlapping addresses (problem);
 * - `usageRecords.dir` is set and writable when usage records are enabled (problem);
 * - RADIUS shared secrets shorter than 16 octets (warning: RFC 2865 §3 prefers at least 16,
 *   and the secret is the only thing that authenticates a NAS);
 * - RADIUS enabled with no `radius.clients` (warning: every packet would be dropped);
 * - the admin API on a non-loopback address without `admin.token` (warning).
 *
 * Problems are `key.path: what is wrong` lines; warnings are the same form. Pure but for reading
 * the files it names.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import type { Config } from './config/schema';
import { normalizeAddress } from './core/net';
import { parseStaticSubscribers } from './subscribers/static-file';

export interface PreflightResult {
  problems: string[];
  warnings: string[];
}

/** RFC 2865 §3: "It is preferred that the secret be at least 16 octets." */
export const RADIUS_MIN_SECRET_OCTETS = 16;

interface Listener {
  key: string;
  protocol: 'tcp' | 'udp';
  bind: string;
  port: number;
}

function listenersOf(c: Config): Listener[] {
  const out: Listener[] = [];
  if (c.proxy.enabled) out.push({ key: 'proxy.port', protocol: 'tcp', bind: c.proxy.bind, port: c.proxy.port });
  if (c.admin.enabled) out.push({ key: 'admin.port', protocol: 'tcp', bind: c.admin.bind, port: c.admin.port });
  if (c.demoMmsc.enabled) out.push({ key: 'demoMmsc.port', protocol: 'tcp', bind: c.demoMmsc.bind, port: c.demoMmsc.port });
  if (c.ppg.enabled) out.push({ key: 'ppg.port', protocol: 'tcp', bind: c.ppg.bind, port: c.ppg.port });
  if (c.demoSmsc.enabled) out.push({ key: 'demoSmsc.port', protocol: 'tcp', bind: c.demoSmsc.bind, port: c.demoSmsc.port });
  out.push({ key: 'wsp.connectionlessPort', protocol: 'udp', bind: c.wsp.bind, port: c.wsp.connectionlessPort });
  out.push({ key: 'wsp.connectionOrientedPort', protocol: 'udp', bind: c.wsp.bind, port: c.wsp.connectionOrientedPort });
  if (c.radius.enabled) out.push({ key: 'radius.port', protocol: 'udp', bind: c.radius.bind, port: c.radius.port });
  return out;
}

const isWildcard = (a: string): boolean => a === '0.0.0.0' || a === '::' || a === '';
const isLoopback = (a: string): boolean => a === 'localhost' || a === '::1' || a.startsWith('127.');

function overlaps(a: string, b: string): boolean {
  if (isWildcard(a) || isWildcard(b)) return true;
  return normalizeAddress(a) === normalizeAddress(b);
}

export function preflight(config: Config, opts: { now?: number } = {}): PreflightResult {
  const problems: string[] = [];
  const warnings: string[] = [];

  // The static subscriber file, read exactly as the start will read it.
  if (config.subscribers.staticFile !== null) {
    const file = config.subscribers.staticFile;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`subscribers.staticFile: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (text !== undefined) {
      const r = parseStaticSubscribers(text, { maxEntries: config.subscribers.maxEntries, now: opts.now ?? Date.now() });
      if (!r.ok) for (const e of r.errors) problems.push(`subscribers.staticFile: ${file} ${e}`);
    }
  }

  // Listeners that would collide: the second bind would fail after the first had logged `listening`.
  const ls = listenersOf(config);
  for (let i = 0; i < ls.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = ls[i] as Listener;
      const b = ls[j] as Listener;
      if (a.port !== 0 && a.port === b.port && a.protocol === b.protocol && overlaps(a.bind, b.bind)) {
        problems.push(`${a.key}: ${a.protocol.toUpperCase()} port ${a.port} is also ${b.key} (${b.bind}); give each listener its own port`);
      }
    }
  }

  if (config.usageRecords.enabled && config.usageRecords.dir !== null) {
    const why = writableDir(config.usageRecords.dir);
    if (why !== null) problems.push(`usageRecords.dir: ${why}`);
  }

  if (config.radius.enabled && config.radius.clients.length === 0) {
    warnings.push('radius.clients: RADIUS is enabled but no NAS is listed; every accounting packet will be dropped');
  }
  config.radius.clients.forEach((c, i) => {
    if (Buffer.byteLength(c.secret) < RADIUS_MIN_SECRET_OCTETS) {
      warnings.push(`radius.clients[${i}].secret: ${Buffer.byteLength(c.secret)} octets; use at least ${RADIUS_MIN_SECRET_OCTETS} (RFC 2865 §3)`);
    }
  });
  config.radius.forward.forEach((f, i) => {
    if (Buffer.byteLength(f.secret) < RADIUS_MIN_SECRET_OCTETS) {
      warnings.push(`radius.forward[${i}].secret: ${Buffer.byteLength(f.secret)} octets; use at least ${RADIUS_MIN_SECRET_OCTETS} (RFC 2865 §3)`);
    }
  });
  if (config.admin.enabled && config.admin.token === null && !isLoopback(config.admin.bind)) {
    warnings.push(`admin.token: the admin API listens on ${config.admin.bind} without a token; anyone who reaches it can read subscribers`);
  }
  return { problems, warnings };
}

/** For `usageRecords.dir` and the like: a directory we can create files in, or why not. */
export function writableDir(dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${dir} does not exist` : `${dir} is not writable (${code ?? String(e)})`;
  }
}
