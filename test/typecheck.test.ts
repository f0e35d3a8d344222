/**
 * The tests are TypeScript checked as strictly as src/ (test/tsconfig.json), so a test cannot
 * call an API that no longer exists, import a name that is not exported (it would be
 * `undefined` at run time and weaken the assertion it feeds), or pass a key of the wrong type.
 * Same check as `npm run typecheck`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(__dirname, '..');

t.test('test/ type-checks against src/', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'test', 'tsconfig.json')], { encoding: 'utf8', timeout: 110_000 });
  t.equal(r.status, 0, `tsc -p test/tsconfig.json\n${r.stdout}${r.stderr}`);
});
