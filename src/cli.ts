#!/usr/bin/env node
/**
 * wapgw command line: start | check-config | decode | status | version (see shared contract).
 * Every failure is one line on stderr and exit 1, never a stack trace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFile } from './config/load';
import { ConfigError, DecodeError, isWapgwError } from './core/errors';
import { createLogger } from './core/logger';
import { handleSignals } from './signals';

const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(resolve(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

const USAGE = `usage:
  wapgw start [-c FILE]                 run the gateway (default conf/wapgw.yaml)
  wapgw start --workers N|auto [-c FILE]   the same, with the HTTP proxy in N worker processes
  wapgw check-config [-c FILE]          validate FILE; one line per problem
  wapgw decode [--as wtp|wsp|wsp-cl|mms|wbxml] HEX|-   decode a datagram or PDU to JSON ('-' reads raw bytes from stdin)
  wapgw decode --as sms HEX...          SMS TPDUs or SMPP short_messages with UDH: ports, concatenation, the WSP Push inside
  wapgw status [-c FILE]                print the running gateway's /status
  wapgw push --to ADDR (--mms-notification URL | --si URL TEXT | --file F --type T) [-c FILE]
                                        send one push through the running gateway's PPG; prints the PAP response
  wapgw mms TYPE [options] [--hex]      encode an MMS PDU to stdout ('wapgw mms help' lists the types)
  wapgw version                         print the version`;

interface Args {
  cmd: string;
  config: string;
  /** -c was given (otherwise `config` is the default, see `useShippedConfigIfNeeded`). */
  configGiven?: boolean;
  as?: string;
  /** --workers N|auto (start): overrides process.workers. */
  workers?: string;
  rest: string[];
}

export function parseArgs(argv: string[]): Args {
  const out: Args = { cmd: argv[0] ?? 'help', config: 'conf/wapgw.yaml', rest: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-c' || a === '--config') {
      out.config = argv[++i] ?? fail(`${a} needs a file`);
      out.configGiven = true;
    } else if (a.startsWith('--config=')) {
      out.config = a.slice(9);
      out.configGiven = true;
    }
    else if (a === '--as') out.as = argv[++i] ?? fail('--as needs wtp, wsp, wsp-cl, mms or wbxml');
    else if (a.startsWith('--as=')) out.as = a.slice(5);
    else if (a === '--workers') out.workers = argv[++i] ?? fail('--workers needs a number or auto');
    else if (a.startsWith('--workers=')) out.workers = a.slice(10);
    else out.rest.push(a);
  }
  return out;
}

/**
 * Without -c, the default `conf/wapgw.yaml` is read from the current directory; where there is
 * none (an installed package run from elsewhere: `npm install -g wapgw`), the package's own
 * shipped config is used, and the process works from the package's directory so that the
 * relative paths in it (conf/subscribers.yaml) resolve as they do in a checkout.
 */
function useShippedConfigIfNeeded(args: Args): void {
  if (args.configGiven || existsSync(args.config)) return;
  const root = resolve(__dirname, '..');
  const shipped = join(root, 'conf', 'wapgw.yaml');
  if (!existsSync(shipped)) return;
  process.chdir(root);
  args.config = shipped;
}

class UsageError extends Error {}
function fail(msg: string): never {
  throw new UsageError(msg);
}

function readStdin(): Buffer {
  return readFileSync(0);
}

async function cmdStart(args: Args): Promise<number> {
  const config = loadConfigFile(args.config);
  const logger = createLogger({ level: config.log.level, redactPersonalData: config.log.redactPersonalData });
  // --workers N / process.workers > 1: the proxy in N processes (src/cluster.ts); a worker re-runs this command
  {
    const cluster = (await import('node:cluster')).default;
    const { workerCount, runCluster } = await import('./cluster');
    const workers = workerCount(args.workers ?? config.process.workers);
    if (cluster.isWorker || workers > 1) return runCluster({ config, configFile: args.config, logger, version: VERSION, workers });
  }
  // Loaded here so that decode/check-config/status stay light.
  const { Gateway } = await import('./main');
  const gw = new Gateway({ config, logger, configFile: args.config, version: VERSION });
  // SIGTERM/SIGINT drain (a component that overruns the drain bound must not keep the process
  // alive); SIGHUP re-reads the config and the static subscribers
  handleSignals({ gw, logger, graceMs: 500, reloadFields: { file: args.config } });
  try {
    await gw.start();
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    await gw.close(0);
    throw err;
  }
  return new Promise<number>(() => undefined);
}

async function cmdCheckConfig(args: Args): Promise<number> {
  const config = loadConfigFile(args.config);
  // What start will load besides the file itself (static subscribers, ports, secrets).
  const { preflight } = await import('./preflight');
  const r = preflight(config);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${args.config}: ok${r.warnings.length > 0 ? ` (${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''})` : ''}\n`);
  return 0;
}

async function cmdDecode(args: Args): Promise<number> {
  const input = args.rest[0];
  if (input === undefined) fail('decode needs HEX or - (raw bytes on stdin)');
  const hexArg = (a: string): Buffer => {
    const clean = a.replace(/[\s:|]/g, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(clean)) fail('decode: the argument is not hex (pairs of 0-9a-f)');
    return Buffer.from(clean, 'hex');
  };
  if (args.as?.toLowerCase() === 'sms') {
    // several SMS, one per argument; with '-', stdin holds hex lines (one SMS each) or one SMS as raw bytes
    let bufs: Buffer[];
    if (input === '-') {
      const raw = readStdin();
      const text = raw.toString('latin1');
      bufs = /^[\s0-9a-fA-F:|]+$/.test(text) && /[0-9a-fA-F]/.test(text) ? text.split(/\n+/).filter((l) => l.trim() !== '').map(hexArg) : [raw];
    } else bufs = args.rest.map(hexArg);
    const { inspectSms } = await import('./codec/inspect-sms');
    process.stdout.write(`${JSON.stringify(inspectSms(bufs), null, 2)}\n`);
    return 0;
  }
  const buf = input === '-' ? readStdin() : hexArg(input);
  const { inspect } = await import('./codec/inspect');
  const out = inspect(buf, args.as);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

/** `wapgw mms TYPE [options]`: the raw PDU on stdout (hex with --hex); see src/codec/mms/compose.ts. */
async function cmdMms(argv: string[]): Promise<number> {
  const { composeMms, MMS_USAGE } = await import('./codec/mms/compose');
  if (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0] as string)) {
    process.stdout.write(`${MMS_USAGE}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const { encodeMms } = await import('./codec/mms');
  const { pdu, hex } = composeMms(argv, { readFile: (f) => readFileSync(f), now: () => Date.now() });
  const bytes = encodeMms(pdu);
  if (hex) process.stdout.write(`${bytes.toString('hex')}\n`);
  else if (process.stdout.isTTY) fail('mms: stdout is a terminal; redirect it to a file (> m-send-req.bin) or add --hex');
  else process.stdout.write(bytes);
  return 0;
}

async function cmdStatus(args: Args): Promise<number> {
  const config = loadConfigFile(args.config);
  const host = config.admin.bind === '0.0.0.0' ? '127.0.0.1' : config.admin.bind === '::' ? '::1' : config.admin.bind;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.admin.port}/status`;
  const res = await fetch(url, { headers: config.admin.token ? { authorization: `Bearer ${config.admin.token}` } : {} }).catch(
    (e: unknown) => fail(`cannot reach ${url}: ${(e as Error).message}`),
  );
  if (!res.ok) fail(`${url} answered ${res.status}`);
  const { formatStatus } = await import('./ops/format-status');
  process.stdout.write(formatStatus(await res.json()));
  return 0;
}

async function cmdPush(args: Args): Promise<number> {
  const config = loadConfigFile(args.config);
  const { parsePushArgs, sendPush } = await import('./ppg/push-cli');
  const r = await sendPush(parsePushArgs(args.rest, config));
  process.stdout.write(r.xml.endsWith('\n') ? r.xml : `${r.xml}\n`);
  if (r.ok) return 0;
  process.stderr.write(`refused: ${r.code} ${r.reason}\n`);
  return 1;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.cmd) {
    case 'start':
      useShippedConfigIfNeeded(args);
      return cmdStart(args);
    case 'check-config':
      useShippedConfigIfNeeded(args);
      return cmdCheckConfig(args);
    case 'decode':
      return cmdDecode(args);
    case 'status':
      useShippedConfigIfNeeded(args);
      return cmdStatus(args);
    case 'push':
      return cmdPush(args);
    case 'mms':
      return cmdMms(argv.slice(1));
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`wapgw ${VERSION}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command "${args.cmd}"\n${USAGE}`);
  }
}

function report(err: unknown): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`${p}\n`);
  } else if (err instanceof DecodeError) {
    process.stderr.write(`malformed: ${err.message}\n`);
  } else if (err instanceof UsageError || isWapgwError(err)) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return 1;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => process.exit(report(err)),
  );
}
