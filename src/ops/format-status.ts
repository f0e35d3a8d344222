/**
 * Renders the admin /status JSON for a human (`wapgw status`): a summary line, the listeners
 * as a table, the counts, upstream outcomes, then each component's own status on one line.
 * Keys it does not know are still shown (generic indented form), so nothing is hidden.
 */
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The generic form: `key: value`, nested objects indented. */
function generic(v: unknown, indent: string): string {
  if (!isObject(v) && !Array.isArray(v)) return `${indent}${scalar(v)}\n`;
  let out = '';
  for (const [k, x] of Object.entries(v)) {
    if (isObject(x) || (Array.isArray(x) && x.some((e) => typeof e === 'object' && e !== null))) out += `${indent}${k}:\n${generic(x, `${indent}  `)}`;
    else out += `${indent}${k}: ${Array.isArray(x) ? x.map(scalar).join(', ') : scalar(x)}\n`;
  }
  return out;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s % 60}s`].filter(Boolean);
  return parts.join(' ');
}

function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`).join('');
}

const KNOWN = new Set(['version', 'state', 'healthy', 'pid', 'uptimeSeconds', 'listeners', 'wspSessions', 'wtpTransactions', 'subscribers', 'upstream', 'components']);

export function formatStatus(status: unknown): string {
  if (!isObject(status)) return generic(status, '');
  const s = status;
  let out = '';
  const head = [`wapgw ${scalar(s.version)}`, scalar(s.state)];
  if (typeof s.healthy === 'boolean') head.push(s.healthy ? 'healthy' : 'UNHEALTHY');
  if (s.pid !== undefined) head.push(`pid ${scalar(s.pid)}`);
  if (typeof s.uptimeSeconds === 'number') head.push(`up ${formatDuration(s.uptimeSeconds)}`);
  out += `${head.join('  ')}\n`;

  if (Array.isArray(s.listeners)) {
    out += `listeners (${s.listeners.length}):\n`;
    const rows = s.listeners.filter(isObject).map((l) => {
      const addr = scalar(l.address);
      return [scalar(l.name), scalar(l.protocol), `${addr.includes(':') ? `[${addr}]` : addr}:${scalar(l.port)}`];
    });
    out += rows.length > 0 ? table(rows) : '  (none)\n';
  }

  const counts: string[] = [];
  if (s.wspSessions !== undefined) counts.push(`WSP sessions ${scalar(s.wspSessions)}`);
  if (s.wtpTransactions !== undefined) counts.push(`WTP transactions ${scalar(s.wtpTransactions)}`);
  if (s.subscribers !== undefined) counts.push(`subscribers ${scalar(s.subscribers)}`);
  if (counts.length > 0) out += `${counts.join('   ')}\n`;

  if (isObject(s.upstream)) {
    const u = s.upstream;
    out += `upstream ${scalar(u.url)}\n`;
    if (isObject(u.responses)) {
      const rows = Object.entries(u.responses).map(([k, v]) => [k, scalar(v)]);
      out += rows.length > 0 ? table(rows) : '  no requests yet\n';
    }
    const rest = Object.fromEntries(Object.entries(u).filter(([k]) => k !== 'url' && k !== 'responses'));
    if (Object.keys(rest).length > 0) out += generic(rest, '  ');
  } else if (s.upstream !== undefined) {
    out += `upstream: ${scalar(s.upstream)}\n`;
  }

  if (isObject(s.components)) {
    out += 'components:\n';
    for (const [name, c] of Object.entries(s.components)) {
      if (isObject(c) && Object.values(c).every((v) => !isObject(v))) {
        out += `  ${name}: ${Object.entries(c).map(([k, v]) => `${k} ${Array.isArray(v) ? v.map(scalar).join(',') : scalar(v)}`).join(', ')}\n`;
      } else {
        out += `  ${name}:\n${generic(c, '    ')}`;
      }
    }
  }

  const extra = Object.fromEntries(Object.entries(s).filter(([k]) => !KNOWN.has(k)));
  if (Object.keys(extra).length > 0) out += generic(extra, '');
  return out;
}
