/** Renders the admin /status JSON for a human (`wapgw status`). */
export function formatStatus(status: unknown, indent = ''): string {
  if (status === null || typeof status !== 'object') return `${indent}${String(status)}\n`;
  let out = '';
  for (const [k, v] of Object.entries(status as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') out += `${indent}${k}:\n${formatStatus(v, `${indent}  `)}`;
    else out += `${indent}${k}: ${String(v)}\n`;
  }
  return out;
}
