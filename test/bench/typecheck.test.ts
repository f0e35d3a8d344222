/**
 * bench/ is type-checked (bench/tsconfig.json: checkJs against the sources' types) and reaches
 * the built gateway through one module, bench/lib/wapgw.js. Same check as `npm run typecheck`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(__dirname, '..', '..');

function benchScripts(dir = path.join(root, 'bench')): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...benchScripts(p));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

t.test('bench/ type-checks against src/', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { encoding: 'utf8', timeout: 110_000 });
  t.equal(r.status, 0, `tsc -p bench/tsconfig.json\n${r.stdout}${r.stderr}`);
});

t.test('one path into dist/: bench/lib/wapgw.js', async (t) => {
  const scripts = benchScripts();
  t.ok(scripts.length > 15, `${scripts.length} bench scripts`);
  const reaching = scripts
    // a module path into dist/: require('../dist/x'), require(path.join(dist, ...)), path.join(ROOT, 'dist', ...)
    .filter((f) => /require\(\s*['"`][^'"`]*\bdist\/|require\(\s*path\.\w+\([^)]*\bdist\b|path\.(join|resolve)\([^)]*['"`]\.?\.?\/?dist\b/.test(readFileSync(f, 'utf8')))
    .map((f) => path.relative(root, f));
  t.same(reaching, ['bench/lib/wapgw.js'], 'only the one module names dist/');
});
