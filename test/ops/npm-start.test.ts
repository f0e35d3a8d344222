/**
 * `npm start` stops when npm's own PID gets SIGTERM (issue 14 item 5): the script `exec`s node,
 * so npm's child is the gateway itself (no `sh` in between that would leave it running), and npm
 * passes the signal on.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tempDir, writeTestConfig } from '../helpers/gateway-process';

/** PIDs whose command line mentions `needle` (read from /proc; Linux). */
function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

t.test('SIGTERM to npm stops the gateway it started', async (t) => {
  const file = writeTestConfig(tempDir());
  const npm = spawn('npm', ['start', '--silent', '--', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    for (const p of pidsWith(file)) if (p !== process.pid) process.kill(p, 'SIGKILL');
  });
  let out = '';
  npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 20000;
  while (!out.includes('"msg":"started"')) {
    if (Date.now() > until || npm.exitCode !== null) throw new Error(`not started: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const gateways = pidsWith(file).filter((p) => p !== npm.pid);
  t.equal(gateways.length, 1, 'one gateway process');
  const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)));
  npm.kill('SIGTERM');
  await exited;
  const stop = Date.now() + 8000;
  while (pidsWith(file).length > 0 && Date.now() < stop) await new Promise((r) => setTimeout(r, 50));
  t.same(pidsWith(file), [], 'no gateway left running');
  t.match(out, /"msg":"stopping"/, 'the gateway saw the signal and drained');
});
