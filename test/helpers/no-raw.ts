/** Drops the codec's kept `raw` octets recursively, so that encoding runs from the decoded values alone. */
export function noRaw<T>(x: T): T {
  if (Buffer.isBuffer(x)) return x;
  if (Array.isArray(x)) return x.map(noRaw) as T;
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'raw') out[k] = noRaw(v);
    return out as T;
  }
  return x;
}
