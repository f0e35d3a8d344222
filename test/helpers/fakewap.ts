/**
 * Runs Kannel's fakewap (kannel-extras, /usr/lib/kannel/test/fakewap) as a handset against a
 * gateway and counts what it reports: "Received WSP Reply with status code 200OK" per good
 * reply, "received reply with status N" per other status, and panics (exit != 0).
 * Also a tshark capture helper for e2e runs (needs root for `-i lo`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const FAKEWAP = process.env.FAKEWAP ?? '/usr/lib/kannel/test/fakewap';
export const hasFakewap = (): boolean => existsSync(FAKEWAP);
export const NO_FAKEWAP = `fakewap not installed (${FAKEWAP}; Debian package kannel-extras)`;

export interface FakewapResult {
  code: number | null;
  output: string;
  ok200: number;
  statuses: number[];
  ms: number;
}

export function runFakewap(args: string[], timeoutMs = 30000): Promise<FakewapResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(FAKEWAP, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': exit can come before the last output has been read
    child.on('close', (code) => {
      clearTimeout(timer);
      const statuses = [...out.matchAll(/received reply with status (\d+)/g)].map((m) => Number(m[1]));
      const ok200 = (out.match(/status code 200OK/g) ?? []).length;
      resolve({ code, output: out, ok200, statuses, ms: performance.now() - t0 });
    });
  });
}

export const hasTsharkBin = (): boolean => spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

export interface Capture {
  stop(): Promise<void>;
}

/** Starts `tshark -i lo -f FILTER -w FILE`; resolves once tshark says it is capturing. */
export function startCapture(filter: string, file: string): Promise<Capture> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 10000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capturing on/.test(err)) {
        clearTimeout(timer);
        resolve({
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.on('exit', () => r());
              // let the last packets reach the file
              setTimeout(() => child.kill('SIGINT'), 300);
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!/Capturing on/.test(err)) reject(new Error(`tshark exited ${code}: ${err}`));
    });
  });
}

/** Frames tshark flags as malformed (`_ws.malformed`), as its one-line summaries. */
export function malformedFrames(file: string, decodeAs: string[] = []): string[] {
  const args = ['-r', file, '-Y', '_ws.malformed || _ws.expert.severity == error'];
  for (const d of decodeAs) args.push('-d', d);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

export function frameCount(file: string, decodeAs: string[] = []): number {
  const args = ['-r', file];
  for (const d of decodeAs) args.push('-d', d);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}
