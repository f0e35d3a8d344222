/**
 * The README's commands, run as written (issue 14: "the README's every command run by a test").
 *
 * Every fenced `sh` block is preceded by a marker comment `<!-- readme-test: MODE [ARG] -->`:
 * - `run`: each command line runs in order in one shell (`set -e -o pipefail`) in a sandbox that
 *   looks like a fresh checkout (conf/ copied, dist/ and node_modules linked), with a gateway
 *   running: the demo one (`npm start`) unless an earlier line started another. A line whose
 *   command is `npm start ...` is started in the background as written; the test waits for its
 *   `started` line, and stops the gateway before it (SIGTERM to npm, as the README says).
 * - `edit FILE` (a `yaml` block): the block is merged into the sandbox's FILE, as a person would
 *   edit it (objects merged, everything else replaced).
 * - `check (why)`: not run (root, systemd, capture rights); the shell must parse it and every
 *   repository path it names must exist.
 * - `quickstart`: run from a fresh clone by test/quickstart.test.ts.
 * A `sh` block without a marker is checked as `check` (so another part's README section never
 * breaks this test before it is marked).
 *
 * What a line prints is checked against its trailing comment (two or more spaces, then `#`): a
 * comment starting with a three-digit code expects that code as the first word of the output;
 * every `quoted` text in it must be in the output; "N times `x`" expects x exactly N times.
 *
 * Ports: seven engineers run tests on this machine at once, so the README's fixed ports (8080,
 * 8942, 9300, 8090, 2775, 9200, 9201, 1813) are replaced by free ones, in the commands and in the sandbox's
 * copy of conf/, and every listener binds 127.0.0.1. Nothing else of a command is changed.
 */
import t from 'tap';
import { freePort } from '../helpers/free-port';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { tempDir } from '../helpers/gateway-process';
import { toolAvailable, skip } from '../helpers/requires-tool';

// every block starts or talks to real gateways (npm start, npx): more than the suite's 120 s per file
t.setTimeout(15 * 60 * 1000);

const ROOT = resolve('.');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  mode: string;
  arg: string | undefined;
  text: string;
}

/** Every fenced block with its marker (mode `none` when unmarked). */
export function readmeBlocks(text: string): ReadmeBlock[] {
  const rows = text.split('\n');
  const out: ReadmeBlock[] = [];
  for (let i = 0; i < rows.length; i++) {
    const open = /^(\s*)```(\S*)/.exec(rows[i] as string);
    if (!open) continue;
    const indent = open[1] as string;
    const body: string[] = [];
    let j = i + 1;
    for (; j < rows.length && !/^\s*```\s*$/.test(rows[j] as string); j++) body.push((rows[j] as string).slice(indent.length));
    let k = i - 1;
    while (k >= 0 && (rows[k] as string).trim() === '') k--;
    const m = /^\s*<!-- readme-test: (\S+)(?: ([^\s(]\S*))?(?: \(.*\))? -->\s*$/.exec(rows[k] ?? '');
    out.push({ line: i + 1, lang: open[2] as string, mode: m?.[1] ?? 'none', arg: m?.[2], text: body.join('\n') });
    i = j;
  }
  return out;
}

/** Logical command lines: `\` continuations joined, blank and comment-only lines dropped. */
export function commandLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (raw.trimEnd().endsWith('\\')) {
      cur += `${raw}\n`;
      continue;
    }
    const line = cur + raw;
    cur = '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    out.push(line);
  }
  return out;
}

/** The trailing comment of a command line (two or more spaces, then `# `). */
const commentOf = (line: string): string => /\s{2,}#\s(.*)$/.exec(line.split('\n').pop() as string)?.[1] ?? '';

/** Problems with `output` (and the exit status, when known) against what the line's comment promises. */
export function unmetExpectations(line: string, output: string, code: number | null = 0): string[] {
  const c = commentOf(line);
  const problems: string[] = [];
  const exit = Number(/\bexits (\d+)/.exec(c)?.[1] ?? 0);
  if (code !== exit) problems.push(`exit status ${code}, expected ${exit}; output: ${JSON.stringify(output.slice(-600))}`);
  const status = /^(\d{3})\b/.exec(c)?.[1];
  if (status !== undefined && output.trim().split(/\s+/)[0] !== status) problems.push(`expected ${status} first, got ${JSON.stringify(output.slice(0, 200))}`);
  for (const m of c.matchAll(/(?:(\d+) times )?`([^`]+)`/g)) {
    const want = m[2] as string;
    const n = output.split(want).length - 1;
    if (m[1] !== undefined ? n !== Number(m[1]) : n === 0) {
      problems.push(`expected ${m[1] !== undefined ? `${m[1]} times ` : ''}${JSON.stringify(want)} in ${JSON.stringify(output.slice(0, 400))}`);
    }
  }
  return problems;
}

/** Peer tools a command may need, with the Debian package to name when one is missing. */
const TOOLS: Array<[RegExp, string, string]> = [
  [/\/usr\/lib\/kannel\/test\/fakewap/, '/usr/lib/kannel/test/fakewap', 'fakewap (Debian kannel-extras)'],
  [/\bradclient\b/, 'radclient', 'radclient (Debian freeradius-utils)'],
  [/\bxxd\b/, 'xxd', 'xxd (Debian xxd)'],
  [/\bcurl\b/, 'curl', 'curl (Debian curl)'],
  [/\bpromtool\b/, 'promtool', 'promtool (Debian prometheus)'],
  [/\bjq\b/, 'jq', 'jq (Debian jq)'],
];

/** Whether this build has `wapgw mms` (issue 14 item 2, another part of the work). */
const hasMmsEncoder = (): boolean => /wapgw mms/.test(spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'help'], { encoding: 'utf8' }).stdout);

// below the ephemeral range (helpers/free-port.ts says why)
const freeTcp = (): Promise<number> => freePort('tcp');
const freeUdp = (): Promise<number> => freePort('udp');

function deepMerge(base: unknown, over: unknown): unknown {
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return over;
}

class Sandbox {
  readonly dir = tempDir();
  gateway: { child: ChildProcess; output: () => string } | undefined;
  private constructor(private readonly ports: Map<string, number>) {}

  static async create(): Promise<Sandbox> {
    const ports = new Map<string, number>();
    for (const p of ['8080', '8942', '9300', '8090', '2775']) ports.set(p, await freeTcp());
    for (const p of ['9200', '9201', '1813']) ports.set(p, await freeUdp());
    const sb = new Sandbox(ports);
    mkdirSync(join(sb.dir, 'conf'));
    for (const f of readdirSync(join(ROOT, 'conf'))) {
      const src = join(ROOT, 'conf', f);
      if (f.endsWith('.yaml')) writeFileSync(join(sb.dir, 'conf', f), sb.sub(readFileSync(src, 'utf8')).replace(/bind: "0\.0\.0\.0"/g, 'bind: "127.0.0.1"'));
      else cpSync(src, join(sb.dir, 'conf', f), { recursive: true });
    }
    // `npx wapgw` in a project named wapgw installs the project itself (running `prepare`, tsc
    // into ./dist): so the sandbox has the sources and its own copy of dist/.
    for (const l of ['node_modules', 'src', 'test', 'bench', 'systemd', 'tsconfig.json']) symlinkSync(join(ROOT, l), join(sb.dir, l));
    cpSync(join(ROOT, 'dist'), join(sb.dir, 'dist'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, f), join(sb.dir, f));
    return sb;
  }

  /**
   * The shell's environment: `$TOKEN` unset (no admin token in the demo); npm's own scripts off,
   * so `npx wapgw` uses the sandbox's dist/ instead of rebuilding it with `prepare` each time
   * (`npm start` still runs its script: npm runs the script a command names).
   */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, TOKEN: '', npm_config_ignore_scripts: 'true' };
  }

  /** The README's ports replaced by this sandbox's free ones. */
  sub(text: string): string {
    return text.replace(/\b(8080|8942|9300|8090|2775|9200|9201|1813)\b/g, (p) => String(this.ports.get(p)));
  }

  /** Runs `npm start ARGS` as written, in the background, until it logs `started`. */
  async startGateway(line: string): Promise<string> {
    await this.stopGateway();
    const child = spawn('bash', ['-c', `exec ${this.sub(line)}`], { cwd: this.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: this.env() });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    this.gateway = { child, output: () => out };
    const until = Date.now() + 30000;
    while (!out.includes('"msg":"started"')) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`${line}: no "started" line; output: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  }

  async stopGateway(): Promise<void> {
    const g = this.gateway;
    this.gateway = undefined;
    if (!g || g.child.exitCode !== null) return;
    const exited = new Promise((r) => g.child.once('exit', r));
    g.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(g.child), 8000);
    await exited;
    clearTimeout(timer);
    this.killGroup(g.child);
  }

  killGroup(child: ChildProcess): void {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Runs command lines in one shell; returns each line's output and exit status. */
  runLines(lines: string[]): { outputs: string[]; codes: Array<number | null>; tail: string } {
    const marker = '@@readme-line';
    const script = ['set -o pipefail', 'exec 2>&1', ...lines.flatMap((l, i) => [`echo '${marker} ${i}'`, this.sub(l), `echo "${marker}-rc ${i} $?"`])].join('\n');
    const r = spawnSync('bash', ['-c', script], { cwd: this.dir, encoding: 'utf8', timeout: 300000, env: this.env() });
    const outputs: string[] = lines.map(() => '');
    const codes: Array<number | null> = lines.map(() => null);
    let cur = -1;
    for (const row of (r.stdout ?? '').split('\n')) {
      const m = new RegExp(`^${marker} (\\d+)$`).exec(row);
      const rc = new RegExp(`^${marker}-rc (\\d+) (\\d+)$`).exec(row);
      if (m) cur = Number(m[1]);
      else if (rc) codes[Number(rc[1])] = Number(rc[2]);
      else if (cur >= 0) outputs[cur] += `${row}\n`;
    }
    return { outputs, codes, tail: (r.stdout ?? '').slice(-1500) };
  }
}

t.test('every sh block is marked, and the marks are known', async (t) => {
  const blocks = readmeBlocks(README).filter((b) => b.lang === 'sh');
  t.ok(blocks.length >= 8, `${blocks.length} sh blocks`);
  for (const b of blocks) t.ok(['run', 'check', 'quickstart', 'none'].includes(b.mode), `line ${b.line}: mode ${b.mode}`);
  const quick = blocks.filter((b) => b.mode === 'quickstart');
  t.equal(quick.length, 1, 'one quick start');
  t.equal(commandLines(quick[0]!.text).length, 2, 'the quick start is two command lines');
  for (const b of readmeBlocks(README).filter((x) => x.mode === 'edit')) t.equal(b.lang, 'yaml', `line ${b.line}: edit blocks are YAML`);
});

t.test('the expectation grammar', async (t) => {
  t.same(unmetExpectations('curl x  # 200; fine', '200\n'), []);
  t.equal(unmetExpectations('curl x  # 403: no', '200\n').length, 1);
  t.same(unmetExpectations('fakewap  # 3 times `200OK`', 'a 200OK b 200OK c 200OK'), []);
  t.equal(unmetExpectations('fakewap  # 3 times `200OK`', 'a 200OK').length, 1);
  t.equal(unmetExpectations('x  # `ok` and `EUTRAN`', 'ok').length, 1);
  t.same(unmetExpectations('curl -p  # 405 (curl exits 56)', '405', 56), []);
  t.equal(unmetExpectations('curl  # 200', '200', 7).length, 1, 'a failing command fails');
  t.same(commandLines('# c\nprintf a \\\n  | cat  # `a`\n\nls\n'), ['printf a \\\n  | cat  # `a`', 'ls']);
});

t.test('the README commands, as written', async (t) => {
  const sb = await Sandbox.create();
  t.teardown(() => sb.stopGateway());
  const mms = hasMmsEncoder();
  for (const b of readmeBlocks(README)) {
    if (b.mode === 'edit') {
      const file = join(sb.dir, b.arg ?? '');
      t.ok(existsSync(file), `line ${b.line}: ${b.arg} exists (made by an earlier block)`);
      const merged = deepMerge(parseYaml(readFileSync(file, 'utf8')), parseYaml(sb.sub(b.text)));
      writeFileSync(file, stringify(merged));
      continue;
    }
    if (b.lang !== 'sh' || b.mode === 'quickstart') continue;
    if (b.mode === 'check' || b.mode === 'none') {
      const syntax = spawnSync('bash', ['-n'], { input: b.text, encoding: 'utf8' });
      t.equal(syntax.status, 0, `line ${b.line}: the shell parses it ${syntax.stderr}`);
      for (const m of b.text.matchAll(/(?:^|[\s=(])((?:conf|src|dist|bench|systemd|test|docs)\/[\w.-]+(?:\/[\w.-]+)*)/g)) {
        t.ok(existsSync(join(ROOT, m[1] as string)), `line ${b.line}: ${m[1]} exists`);
      }
      continue;
    }
    // mode run
    let lines = commandLines(b.text);
    const missing = TOOLS.filter(([re, cmd]) => lines.some((l) => re.test(l)) && !toolAvailable(cmd)).map(([, , what]) => what);
    if (missing.length > 0) {
      if (process.env.CI) t.fail(`line ${b.line}: ${missing.join(', ')} not installed, and CI is set: .ci/run installs it`);
      else skip(t, `line ${b.line}: ${missing.join(', ')} not installed: apt-get install it to run this block`);
      continue;
    }
    if (!mms) {
      const skipped = lines.filter((l) => /wapgw mms|m-send-req\.bin/.test(l));
      if (skipped.length > 0) t.comment(`line ${b.line}: ${skipped.length} line(s) need \`wapgw mms\`, which this build lacks (issue 14 item 2): not run`);
      lines = lines.filter((l) => !skipped.includes(l));
    }
    // segments between `npm start` lines
    let pending: string[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      if (!sb.gateway) await sb.startGateway('npm start');
      const r = sb.runLines(pending);
      pending.forEach((l, i) => {
        const problems = unmetExpectations(l, r.outputs[i] ?? '', r.codes[i] ?? null);
        t.same(problems, [], `line ${b.line}: ${l.trim().slice(0, 100)}`);
      });
      pending = [];
    };
    for (const l of lines) {
      if (/^\s*npm start\b/.test(l)) {
        await flush();
        const out = await sb.startGateway(l);
        t.same(unmetExpectations(l, out, 0), [], `line ${b.line}: ${l.trim()}`);
      } else {
        pending.push(l);
      }
    }
    await flush();
  }
});
