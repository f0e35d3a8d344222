/**
 * Runs tshark over a pcap and returns, per frame, every dissected field (from PDML, `-T pdml`)
 * plus the malformed / expert indications, so tests can let Wireshark judge our bytes.
 *
 *   t.test('...', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => { ... })  // peer-tool.ts
 *   const frames = tsharkUdp([{ srcPort: 40000, dstPort: 9201, payload }]);
 *   t.equal(frames[0].get('wtp.pdu_type'), '0x01'); t.same(frames[0].errors, []);
 *
 * Values are PDML `show` strings exactly as tshark prints them (e.g. '0x01', '1', 'http://x');
 * `value` holds the raw hex when tshark gives one. Fields of every protocol are kept in document
 * order, nested ones flattened (with `depth`), so `all('wtp.tpi.psn')` lists every occurrence.
 * One tshark run per call: batch all packets of a test file into one pcap for speed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LinkType, type UdpPacket, writePcap } from './pcap';

export interface TsharkField {
  name: string;
  show: string;
  value?: string;
  showname?: string;
  pos?: number;
  size?: number;
  /** nesting depth inside its protocol (0 = directly under the proto) */
  depth: number;
  /** the protocol (PDML proto element) this field sits in */
  proto: string;
}

export type ExpertSeverity = 'comment' | 'chat' | 'note' | 'warning' | 'error';

export interface TsharkExpert {
  severity: ExpertSeverity;
  message: string;
  /** the field name that carried the expert item (e.g. 'wsp.header.unknown' or '_ws.malformed.expert') */
  field: string;
  proto: string;
}

export interface TsharkFrame {
  number: number;
  /** protocol names in dissection order, e.g. ['geninfo','frame','eth','ip','udp','wtp','wsp'] */
  protocols: string[];
  fields: TsharkField[];
  /** the first field named so, its `show` */
  get(name: string): string | undefined;
  /** every field named so, their `show`s in order */
  all(name: string): string[];
  /** true when tshark added a [Malformed Packet] */
  malformed: boolean;
  experts: TsharkExpert[];
  /** one line per malformed mark or expert item of severity error (what a test asserts empty) */
  errors: string[];
  /** one line per expert item of severity warning */
  warnings: string[];
}

export interface TsharkOptions {
  /** `-d` decode-as rules, e.g. ['udp.port==9300,wtp-udp'] */
  decodeAs?: string[];
  /** `-o` preferences, e.g. ['wsp.something:TRUE'] */
  prefs?: string[];
  /** any further tshark arguments */
  args?: string[];
  timeoutMs?: number;
}

let cached: boolean | undefined;
/** Whether a working tshark is on PATH (cached). */
export function hasTshark(): boolean {
  if (cached === undefined) {
    const r = spawnSync('tshark', ['-v'], { stdio: 'ignore', timeout: 20_000 });
    cached = r.status === 0;
  }
  return cached;
}

const SEVERITY: Record<string, ExpertSeverity> = {
  '1048576': 'comment',
  '2097152': 'chat',
  '4194304': 'note',
  '6291456': 'warning',
  '8388608': 'error',
};

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|quot|apos|lt|gt|amp);/g, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' } as Record<string, string>)[e] as string;
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([\w.:-]+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(tag)) !== null) out[m[1] as string] = unescapeXml(m[2] as string);
  return out;
}

function makeFrame(number: number, protocols: string[], fields: TsharkField[], experts: TsharkExpert[], malformed: boolean): TsharkFrame {
  const errors = experts.filter((e) => e.severity === 'error').map((e) => `${e.proto}: ${e.message}`);
  if (malformed && !errors.some((e) => /malformed/i.test(e))) errors.unshift('malformed packet');
  return {
    number,
    protocols,
    fields,
    get: (name) => fields.find((f) => f.name === name)?.show,
    all: (name) => fields.filter((f) => f.name === name).map((f) => f.show),
    malformed,
    experts,
    errors,
    warnings: experts.filter((e) => e.severity === 'warning').map((e) => `${e.proto}: ${e.message}`),
  };
}

/** Parses tshark's PDML output into frames. */
export function parsePdml(xml: string): TsharkFrame[] {
  const frames: TsharkFrame[] = [];
  const tagRe = /<(\/?)(packet|proto|field)\b([^>]*?)(\/?)>/g;
  let protocols: string[] = [];
  let fields: TsharkField[] = [];
  let experts: TsharkExpert[] = [];
  let malformed = false;
  let number = 0;
  const protoStack: string[] = [];
  // field stack: name of each open (non self-closing) field
  const fieldStack: string[] = [];
  let pendingExpert: { field: string; proto: string; message?: string; severity?: ExpertSeverity } | undefined;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(xml)) !== null) {
    const closing = m[1] === '/';
    const kind = m[2] as string;
    const selfClosing = m[4] === '/';
    if (kind === 'packet') {
      if (!closing) {
        protocols = [];
        fields = [];
        experts = [];
        malformed = false;
        number = frames.length + 1;
        protoStack.length = 0;
        fieldStack.length = 0;
      } else frames.push(makeFrame(number, protocols, fields, experts, malformed));
      continue;
    }
    if (kind === 'proto') {
      if (closing) {
        protoStack.pop();
        continue;
      }
      const a = attrs(m[3] as string);
      const name = a.name ?? '';
      if (name === '_ws.malformed') malformed = true;
      if (name !== protocols[protocols.length - 1]) protocols.push(name);
      if (!selfClosing) protoStack.push(name);
      continue;
    }
    // field
    if (closing) {
      const name = fieldStack.pop();
      if (name !== undefined && pendingExpert && name === '_ws.expert' && !fieldStack.includes('_ws.expert')) {
        experts.push({
          severity: pendingExpert.severity ?? 'error',
          message: pendingExpert.message ?? pendingExpert.field,
          field: pendingExpert.field,
          proto: pendingExpert.proto,
        });
        pendingExpert = undefined;
      }
      continue;
    }
    const a = attrs(m[3] as string);
    const name = a.name ?? '';
    const proto = protoStack[protoStack.length - 1] ?? '';
    const f: TsharkField = { name, show: a.show ?? a.showname ?? '', depth: fieldStack.length, proto };
    if (a.value !== undefined) f.value = a.value;
    if (a.showname !== undefined) f.showname = a.showname;
    if (a.pos !== undefined) f.pos = Number(a.pos);
    if (a.size !== undefined) f.size = Number(a.size);
    fields.push(f);
    if (name === '_ws.expert') pendingExpert = { field: '', proto };
    else if (pendingExpert && fieldStack.includes('_ws.expert')) {
      if (name === '_ws.expert.message') pendingExpert.message = f.show;
      else if (name === '_ws.expert.severity') pendingExpert.severity = SEVERITY[f.show] ?? 'error';
      else if (name.startsWith('_ws.malformed')) {
        malformed = true;
        pendingExpert.field = pendingExpert.field || name;
      } else if (!name.startsWith('_ws.expert')) pendingExpert.field = pendingExpert.field || name;
    }
    if (!selfClosing) fieldStack.push(name);
  }
  return frames;
}

/** Runs tshark over an existing capture file and returns its frames. */
export function tsharkDecode(file: string, opts: TsharkOptions = {}): TsharkFrame[] {
  const args = ['-r', file, '-T', 'pdml'];
  for (const d of opts.decodeAs ?? []) args.push('-d', d);
  for (const o of opts.prefs ?? []) args.push('-o', o);
  args.push(...(opts.args ?? []));
  const xml = execFileSync('tshark', args, {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parsePdml(xml);
}

/**
 * Writes the UDP packets to a temporary pcap, runs tshark once and returns one frame per packet
 * (same order). The temporary directory is removed afterwards.
 */
export function tsharkUdp(packets: readonly UdpPacket[], opts: TsharkOptions & { linkType?: LinkType } = {}): TsharkFrame[] {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-tshark-'));
  try {
    const file = writePcap(join(dir, 'cap.pcap'), packets, opts.linkType);
    return tsharkDecode(file, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
