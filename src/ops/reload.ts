/**
 * SIGHUP reload, the pure part: which config keys changed, which of them the running gateway
 * applies live, and the effective config (the new values of live keys over the old config).
 * Keys outside LIVE_KEYS need a restart; the gateway keeps their old values and logs them.
 * The I/O part (reading the file, asking components to prepare and apply) is `Gateway.reload()`.
 */
import type { Config } from '../config/schema';

/**
 * Config paths applied without a restart (a path covers everything below it). Components that
 * hold one of these values take the new one in `Component.prepareReload`.
 */
export const LIVE_KEYS = [
  'log.level',
  'log.accessLog',
  'identity',
  'proxy.allowedNetworks',
  'proxy.requireSubscriber',
  'subscribers.staticFile',
  'admin.token',
  'ppg.users',
  'ppg.allowedNetworks',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Leaf paths (dotted; arrays are leaves) whose values differ between `a` and `b`. */
export function changedKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

export const isLiveKey = (path: string): boolean => LIVE_KEYS.some((k) => path === k || path.startsWith(`${k}.`));

export interface ReloadPlan {
  /** The config the gateway runs with after the reload. */
  effective: Config;
  /** Changed keys that are applied now. */
  applied: string[];
  /** Changed keys that keep their old value until a restart. */
  needsRestart: string[];
}

function getPath(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);
}

function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = o;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = structuredClone(value);
}

export function planReload(current: Config, next: Config): ReloadPlan {
  const changed = changedKeys(current, next);
  const applied = changed.filter(isLiveKey);
  const needsRestart = changed.filter((k) => !isLiveKey(k));
  const effective = structuredClone(current) as unknown as Record<string, unknown>;
  for (const k of applied) setPath(effective, k, getPath(next, k));
  return { effective: effective as unknown as Config, applied, needsRestart };
}
