/**
 * The WTP and WSP cores are pure (issue 11): no file in src/wtp or src/wsp imports a metrics,
 * logger or socket module, nor anything from src/edge (the only place that touches sockets and
 * timers). What they have to say goes out as data (WtpNote, WspNote) that src/edge turns into
 * metrics and log lines. Imports are read from the source, type-only imports included.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const FORBIDDEN: Array<[RegExp, string]> = [
  [/^(node:)?(dgram|net|http|https|http2|tls)$/, 'a socket module'],
  [/^undici$/, 'an HTTP client'],
  [/^prom-client$/, 'the metrics library'],
  [/^pino/, 'the logging library'],
  [/\/ops\/metrics$/, 'the metrics registry'],
  [/\/core\/logger$/, 'the logger'],
  [/\/edge(\/|$)/, 'the edge'],
];

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)) out.push(m[1] as string);
  for (const m of src.matchAll(/\brequire\(\s*'([^']+)'\s*\)|\bimport\(\s*'([^']+)'\s*\)/g)) out.push((m[1] ?? m[2]) as string);
  return out;
}

for (const dir of ['src/wtp', 'src/wsp']) {
  t.test(`${dir}: no metrics, logger, socket or edge import`, async (t) => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    t.ok(files.length >= 4, `${files.length} files read`);
    for (const f of files) {
      const imports = importsOf(join(dir, f));
      for (const spec of imports) for (const [re, what] of FORBIDDEN) t.notOk(re.test(spec), `${f} imports ${spec} (${what})`);
    }
  });
}

t.test('the check itself reads imports and catches a forbidden one', async (t) => {
  t.ok(importsOf('src/wtp/responder.ts').length >= 5, 'the import reader finds the responder imports');
  t.ok(importsOf('src/edge/wtp-report.ts').some((s) => /core\/logger$/.test(s)), 'and a logger import where there is one');
  const hits = (spec: string) => FORBIDDEN.some(([re]) => re.test(spec));
  t.ok(hits('node:dgram') && hits('../ops/metrics') && hits('../core/logger') && hits('../edge/udp-bearer') && hits('prom-client'));
  t.notOk(hits('../core/peer') || hits('lru-cache') || hits('../codec/wtp/types'));
});
