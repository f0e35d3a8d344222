/**
 * Runs `node dist/cli.js start -c FILE` as a child process for lifecycle tests: collects the
 * JSON log lines, waits for a line, reads the real listener ports from the `listening` lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface LogLine {
  msg?: string;
  level?: number;
  [k: string]: unknown;
}

export interface GatewayProcess {
  child: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  /** Resolves with the first line (already seen or future) matching; rejects after `ms`. */
  waitFor(pred: (l: LogLine) => boolean, ms?: number, after?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) and how long after the call it came. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port(component: string, protocol?: 'tcp' | 'udp'): number | undefined;
  kill(): void;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'wapgw-test-'));
}

/** A config with every listener on 127.0.0.1 port 0, written to a temp file. */
export function writeTestConfig(dir: string, overrides: Record<string, Record<string, unknown>> = {}): string {
  const base: Record<string, Record<string, unknown>> = {
    mmsc: { url: 'http://127.0.0.1:9/mms' },
    // loopback cannot be spoofed from outside: no connectionless amplification bound (its default
    // of 1 is tested in test/wsp/integration.test.ts); every handset is 127.0.0.1, so no per-source
    // session cap either (tested there too)
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 },
    proxy: { bind: '127.0.0.1', port: 0, allowedNetworks: ['127.0.0.0/8'] },
    radius: { enabled: false, bind: '127.0.0.1', port: 0 },
    admin: { bind: '127.0.0.1', port: 0 },
    demoMmsc: { enabled: true, bind: '127.0.0.1', port: 0 },
    shutdown: { drainTimeoutMs: 4000 },
  };
  for (const [k, v] of Object.entries(overrides)) base[k] = { ...(base[k] ?? {}), ...v };
  const file = join(dir, 'wapgw.yaml');
  writeFileSync(file, stringify(base));
  return file;
}

export function startGateway(args: string[], opts: { cwd?: string } = {}): GatewayProcess {
  const child = spawn(process.execPath, ['dist/cli.js', 'start', ...args], {
    cwd: opts.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: Array<{ pred: (l: LogLine) => boolean; after: number; resolve: (l: LogLine) => void }> = [];
  let buf = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: `(not JSON) ${text}` };
      }
      lines.push(line);
      const idx = lines.length - 1;
      for (const w of [...waiters]) {
        if (idx >= w.after && w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => err,
    waitFor(pred, ms = 10000, after = 0) {
      const seen = lines.slice(after).find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching log line within ${ms} ms; stderr: ${err}; last lines: ${JSON.stringify(lines.slice(-5))}`));
        }, ms);
        const w = {
          pred,
          after,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(w);
        exit.then(() => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            reject(new Error(`gateway exited before the line; stderr: ${err}; last lines: ${JSON.stringify(lines.slice(-5))}`));
          }
        });
      });
    },
    exited: () => exit,
    port(component, protocol) {
      const l = lines.find((x) => x.msg === 'listening' && x.component === component && (protocol === undefined || x.protocol === protocol));
      return typeof l?.port === 'number' ? l.port : undefined;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Starts the gateway, kills it when the test ends, and resolves once it logged `started`. */
export async function startedGateway(t: { teardown(fn: () => unknown): void }, file: string): Promise<GatewayProcess> {
  const gw = startGateway(['-c', file]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started');
  return gw;
}

/** GET on the running gateway's admin port. */
export async function adminGet(gw: GatewayProcess, path: string): Promise<{ status: number; body: string }> {
  const port = gw.port('admin');
  if (port === undefined) throw new Error('no admin listening line');
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

/** A static subscriber file binding 127.0.0.1. */
export const STATIC_ONE = '- ip: 127.0.0.1\n  msisdn: "+15550000001"\n';
