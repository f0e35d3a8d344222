/**
 * A real redis-server for tests (Debian package `redis-server`): started on a free loopback port
 * with a temporary directory, stopped (and the directory removed) by the test's teardown.
 *
 *   const r = await startRedis(t);   // skips the test outside CI when redis-server is missing; fails in CI
 *   if (!r) return;
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort as freeTcpPort } from './free-port';

export const NO_REDIS = 'redis-server not installed (Debian package redis-server)';

let found: boolean | undefined;
export function hasRedis(): boolean {
  if (found === undefined) found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  return found;
}

/** tap's options for a test that needs redis-server: skipped outside CI when missing; run (and failing) in CI. */
export function redisTestOptions(): { skip: string | false } {
  return { skip: hasRedis() || process.env.CI ? false : NO_REDIS };
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** Stops the server (SIGKILL when `hard`: no save, connections cut). */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>;
}

/** A free TCP port below the ephemeral range (helpers/free-port.ts says why). */
export function freePort(): Promise<number> {
  return freeTcpPort('tcp');
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = new Socket();
      c.once('error', () => resolve(false));
      c.connect(port, '127.0.0.1', () => {
        c.write('PING\r\n');
        c.once('data', (d) => {
          c.destroy();
          resolve(d.toString().startsWith('+PONG'));
        });
      });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not answer on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

function spawnRedis(port: number, dir: string, extra: string[]): ChildProcess {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return proc;
}

/**
 * Starts redis-server for test `t` (stopped on teardown). Throws when it is missing in CI; the
 * caller guards with `redisTestOptions()` outside CI.
 */
export async function startRedis(t: { teardown(fn: () => unknown): void }, extra: string[] = []): Promise<RedisServer> {
  if (!hasRedis()) throw new Error(NO_REDIS);
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-redis-'));
  const port = await freePort();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    proc: spawnRedis(port, dir, extra),
    async stop(hard = false) {
      const p = server.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill(hard ? 'SIGKILL' : 'SIGTERM');
      });
    },
    async restart() {
      server.proc = spawnRedis(port, dir, extra);
      await waitForPort(port, 5000);
    },
  };
  t.teardown(async () => {
    await server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port, 5000);
  return server;
}

/**
 * A redis-server in sentinel mode (the same Debian package: `redis-server FILE --sentinel`)
 * monitoring the master on `masterPort` as `name`, quorum 1, down after `downAfterMs`.
 */
export async function startSentinel(t: { teardown(fn: () => unknown): void }, masterPort: number, name = 'wapgw', downAfterMs = 500): Promise<{ port: number; node: string }> {
  if (!hasRedis()) throw new Error(NO_REDIS);
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`, `sentinel down-after-milliseconds ${name} ${downAfterMs}`, `sentinel failover-timeout ${name} 5000`, ''].join('\n'),
  );
  const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port, 5000);
  return { port, node: `127.0.0.1:${port}` };
}
