/**
 * `wapgw mms TYPE [options]`: command-line options -> an MMS PDU (the inverse of
 * `wapgw decode --as mms`). Pure: files are read through the `readFile` it is given and the
 * time comes from `now`, so the CLI in src/cli.ts does the I/O. Every problem with the options
 * is collected and reported together (MmsArgsError, one line each).
 *
 * PDUs and their mandatory fields follow OMA MMS ENC 1.3 §6 (m-send-req §6.1.1, m-send-conf
 * §6.1.2, m-notification-ind §6.2, m-notifyresp-ind §6.2, m-retrieve-conf §6.3,
 * m-acknowledge-ind §6.4); attachments' content types come from their file extensions, and
 * `--smil` adds a SMIL presentation (OMA MMS CONF §8) with one slide per media part.
 */
import { basename, extname } from 'node:path';
import { WapgwError } from '../../core/errors';
import { TOKEN } from '../../core/http';
import {
  buildAcknowledgeInd,
  buildNotificationInd,
  buildNotifyRespInd,
  buildRetrieveConf,
  buildSendConf,
  buildSendReq,
  type PartInput,
} from './builders';
import { ENUM_TABLES, MESSAGE_CLASSES } from './tables';
import type { MmsPdu } from './types';

export class MmsArgsError extends WapgwError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('ERR_MMS_ARGS', problems.join('\n'));
    this.problems = problems;
  }
}

export interface ComposeIo {
  readFile(path: string): Buffer;
  /** milliseconds since 1970 */
  now(): number;
}

export interface Composed {
  pdu: MmsPdu;
  hex: boolean;
}

/** Content types by file extension (lower case, with the dot). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.htm': 'text/html',
  '.html': 'text/html',
  '.xhtml': 'application/xhtml+xml',
  '.smil': 'application/smil',
  '.smi': 'application/smil',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.png': 'image/png',
  '.bmp': 'image/bmp',
  '.wbmp': 'image/vnd.wap.wbmp',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.amr': 'audio/amr',
  '.awb': 'audio/amr-wb',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.wav': 'audio/wav',
  '.mid': 'audio/midi',
  '.midi': 'audio/midi',
  '.ogg': 'audio/ogg',
  '.3gp': 'video/3gpp',
  '.3gpp': 'video/3gpp',
  '.3g2': 'video/3gpp2',
  '.mp4': 'video/mp4',
  '.vcf': 'text/x-vcard',
  '.vcs': 'text/x-vcalendar',
};

interface OptSpec {
  /** takes a value */
  value: boolean;
  /** may be given more than once */
  repeat?: boolean;
}

const COMMON: Record<string, OptSpec> = { tid: { value: true }, 'mms-version': { value: true }, hex: { value: false } };
const MESSAGE: Record<string, OptSpec> = {
  to: { value: true, repeat: true },
  cc: { value: true, repeat: true },
  from: { value: true },
  subject: { value: true },
  attach: { value: true, repeat: true },
  text: { value: true, repeat: true },
  smil: { value: false },
  class: { value: true },
  priority: { value: true },
  'delivery-report': { value: false },
  'read-report': { value: false },
};

export const MMS_TYPES: Record<string, Record<string, OptSpec>> = {
  'send-req': { ...COMMON, ...MESSAGE, bcc: { value: true, repeat: true }, expiry: { value: true } },
  'send-conf': { ...COMMON, status: { value: true }, 'message-id': { value: true }, 'response-text': { value: true } },
  'notification-ind': {
    ...COMMON,
    location: { value: true },
    size: { value: true },
    expiry: { value: true },
    class: { value: true },
    from: { value: true },
    subject: { value: true },
    'delivery-report': { value: false },
  },
  'notifyresp-ind': { ...COMMON, status: { value: true }, 'report-allowed': { value: true } },
  'acknowledge-ind': { ...COMMON, 'report-allowed': { value: true } },
  'retrieve-conf': { ...COMMON, ...MESSAGE, 'message-id': { value: true }, date: { value: true }, status: { value: true } },
};

export const MMS_USAGE = `usage: wapgw mms TYPE [options] > FILE      (raw PDU on stdout; --hex for hex)
  send-req --to ADDR... [--cc ADDR]... [--bcc ADDR]... [--from ADDR] [--subject S]
           [--attach FILE]... [--text S]... [--smil] [--class C] [--priority low|normal|high]
           [--expiry SECONDS] [--delivery-report] [--read-report] [--tid T]
  notification-ind --location URL --size OCTETS [--tid T] [--expiry SECONDS] [--class C]
           [--from ADDR] [--subject S] [--delivery-report]
  notifyresp-ind --tid T [--status Retrieved|Deferred|Rejected|Unrecognised] [--report-allowed yes|no]
  acknowledge-ind --tid T [--report-allowed yes|no]
  retrieve-conf [--tid T] [--message-id ID] [--date SECONDS] [--from ADDR] [--to ADDR]...
           [--subject S] [--attach FILE]... [--text S]... [--smil] [--status Ok|...]
  send-conf --tid T [--status Ok|...] [--message-id ID] [--response-text S]
  every type: [--mms-version 1.0|1.1|1.2|1.3] (default 1.2) [--hex]
  ADDR: +4917012345 (PLMN), 10.1.2.3 (IPv4) or user@example.com`;

type Parsed = Map<string, string[]>;

function parseOptions(type: string, argv: readonly string[], problems: string[]): Parsed {
  const spec = MMS_TYPES[type] as Record<string, OptSpec>;
  const out: Parsed = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      problems.push(`${a}: unexpected argument (options start with --)`);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) {
      problems.push(`--${name}: not an option of ${type}`);
      if (eq < 0 && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }
    let value = 'true';
    if (s.value) {
      if (eq >= 0) value = a.slice(eq + 1);
      else if (argv[i + 1] === undefined || ((argv[i + 1] as string).startsWith('--') && (argv[i + 1] as string).length > 2)) {
        problems.push(`--${name}: needs a value`);
        continue;
      } else value = argv[++i] as string;
    } else if (eq >= 0) {
      problems.push(`--${name}: takes no value`);
      continue;
    }
    const prev = out.get(name);
    if (prev && !s.repeat) {
      problems.push(`--${name}: given more than once`);
      continue;
    }
    out.set(name, [...(prev ?? []), value]);
  }
  return out;
}

const one = (p: Parsed, k: string): string | undefined => p.get(k)?.[0];
const many = (p: Parsed, k: string): string[] => p.get(k) ?? [];

function address(v: string, opt: string, problems: string[]): string | undefined {
  if (/^\+?[0-9]{1,20}$/.test(v) || /^\d{1,3}(\.\d{1,3}){3}$/.test(v) || /\/TYPE=[A-Za-z0-9]+$/.test(v) || /^[^@\s]+@[^@\s]+$/.test(v)) {
    return v;
  }
  problems.push(`--${opt} ${v}: not a phone number (+4917012345), IPv4 address or e-mail address`);
  return undefined;
}

function nonNegative(v: string | undefined, opt: string, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v) || !Number.isSafeInteger(Number(v))) {
    problems.push(`--${opt} ${v}: not a non-negative whole number`);
    return undefined;
  }
  return Number(v);
}

function enumValue(table: keyof typeof ENUM_TABLES, v: string | undefined, opt: string, problems: string[]): string | undefined {
  if (v === undefined) return undefined;
  const row = (ENUM_TABLES[table] as ReadonlyArray<readonly [number, string, number]>).find(([, n]) => n.toLowerCase() === v.toLowerCase());
  if (!row) {
    problems.push(`--${opt} ${v}: one of ${(ENUM_TABLES[table] as ReadonlyArray<readonly [number, string, number]>).map(([, n]) => n).join(', ')}`);
    return undefined;
  }
  return row[1];
}

function yesNo(v: string | undefined, opt: string, problems: string[]): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(yes|true|1)$/i.test(v)) return true;
  if (/^(no|false|0)$/i.test(v)) return false;
  problems.push(`--${opt} ${v}: yes or no`);
  return undefined;
}

function messageClass(v: string | undefined, problems: string[]): string | undefined {
  if (v === undefined) return undefined;
  const known = (MESSAGE_CLASSES as ReadonlyArray<readonly [number, string, number]>).find(([, n]) => n.toLowerCase() === v.toLowerCase());
  if (known) return known[1];
  if (!TOKEN.test(v)) {
    problems.push(`--class ${v}: Personal, Advertisement, Informational, Auto or a token`);
    return undefined;
  }
  return v;
}

function version(v: string | undefined, problems: string[]): string | undefined {
  if (v === undefined) return undefined;
  if (!/^1\.[0-3]$/.test(v)) {
    problems.push(`--mms-version ${v}: 1.0, 1.1, 1.2 or 1.3`);
    return undefined;
  }
  return v;
}

/** A SMIL presentation (OMA MMS CONF §8.1): one slide (par) per media part, region by kind. */
export function smilFor(parts: ReadonlyArray<{ contentType: string; location: string }>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const slides = parts.map((p) => {
    const kind = p.contentType.split('/')[0];
    const tag = kind === 'image' ? 'img' : kind === 'audio' ? 'audio' : kind === 'video' ? 'video' : kind === 'text' ? 'text' : 'ref';
    const region = tag === 'img' || tag === 'video' ? ' region="Image"' : tag === 'text' ? ' region="Text"' : '';
    return `<par dur="5000ms"><${tag} src="${esc(p.location)}"${region}/></par>`;
  });
  return (
    '<smil><head><layout><root-layout width="100%" height="100%"/>' +
    '<region id="Image" top="0" left="0" width="100%" height="75%" fit="meet"/>' +
    '<region id="Text" top="75%" left="0" width="100%" height="25%" fit="scroll"/>' +
    `</layout></head><body>${slides.join('')}</body></smil>`
  );
}

function parts(p: Parsed, io: ComposeIo, problems: string[]): PartInput[] {
  const out: Array<PartInput & { contentType: string; contentLocation: string }> = [];
  const used = new Set<string>();
  const uniqueName = (name: string): string => {
    let n = name.replace(/[^A-Za-z0-9._-]/g, '_') || 'part';
    for (let i = 2; used.has(n); i++) n = `${i}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    used.add(n);
    return n;
  };
  many(p, 'text').forEach((text, i) => {
    const loc = uniqueName(`text${i + 1}.txt`);
    out.push({ contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8'), contentId: loc, contentLocation: loc });
  });
  for (const spec of many(p, 'attach')) {
    // FILE or FILE;type=MEDIA/TYPE to name the content type explicitly
    const m = /^(.*);type=([!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(spec);
    const file = m ? (m[1] as string) : spec;
    // an unknown extension goes as application/octet-stream; FILE;type=T names the type
    let type = m ? (m[2] as string).toLowerCase() : (CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    let data: Buffer;
    try {
      data = io.readFile(file);
    } catch (e) {
      problems.push(`--attach ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    if (type.startsWith('text/') && !type.includes('charset')) type += '; charset=utf-8';
    const loc = uniqueName(basename(file));
    out.push({ contentType: type, data, contentId: loc, contentLocation: loc });
  }
  if (p.has('smil')) {
    if (out.some((x) => x.contentType.startsWith('application/smil'))) problems.push('--smil: an attached .smil file is already the presentation');
    else {
      const media = out.map((x) => ({ contentType: x.contentType, location: x.contentLocation }));
      out.unshift({ contentType: 'application/smil', data: Buffer.from(smilFor(media), 'utf8'), contentId: 'smil', contentLocation: 'smil.xml' });
    }
  }
  return out;
}

const PRIORITY = ['low', 'normal', 'high'];

/** Builds the PDU named by argv[0] from the options after it. Throws MmsArgsError. */
export function composeMms(argv: readonly string[], io: ComposeIo): Composed {
  const type = argv[0];
  if (type === undefined || !(type in MMS_TYPES)) {
    throw new MmsArgsError([`${type === undefined ? 'mms needs a TYPE' : `${type}: not an MMS type`}: one of ${Object.keys(MMS_TYPES).join(', ')}`]);
  }
  const problems: string[] = [];
  const p = parseOptions(type, argv.slice(1), problems);
  const now = Math.floor(io.now() / 1000);
  const tid = one(p, 'tid') ?? `wapgw-${io.now().toString(36)}`;
  const v = version(one(p, 'mms-version'), problems);
  const addrs = (k: string) => many(p, k).map((a) => address(a, k, problems)).filter((a): a is string => a !== undefined);
  const from = one(p, 'from') === undefined ? undefined : address(one(p, 'from') as string, 'from', problems);
  const cls = messageClass(one(p, 'class'), problems);
  const needTid = () => {
    if (one(p, 'tid') === undefined) problems.push(`--tid: ${type} needs the transaction id of the PDU it answers`);
  };
  const priority = (): 'Low' | 'Normal' | 'High' | undefined => {
    const x = one(p, 'priority');
    if (x === undefined) return undefined;
    if (!PRIORITY.includes(x.toLowerCase())) {
      problems.push(`--priority ${x}: low, normal or high`);
      return undefined;
    }
    return (x[0]!.toUpperCase() + x.slice(1).toLowerCase()) as 'Low' | 'Normal' | 'High';
  };
  const common = v === undefined ? {} : { version: v };
  let pdu: MmsPdu | undefined;
  switch (type) {
    case 'send-req': {
      const to = addrs('to');
      const cc = addrs('cc');
      const bcc = addrs('bcc');
      if (many(p, 'to').length + many(p, 'cc').length + many(p, 'bcc').length === 0) problems.push('--to: send-req needs at least one recipient (--to, --cc or --bcc)');
      const expiry = nonNegative(one(p, 'expiry'), 'expiry', problems);
      const pr = priority();
      const ps = parts(p, io, problems);
      pdu = buildSendReq({
        ...common,
        transactionId: tid,
        ...(from !== undefined ? { from } : {}),
        to,
        cc,
        bcc,
        ...(one(p, 'subject') !== undefined ? { subject: one(p, 'subject') as string } : {}),
        ...(cls !== undefined ? { messageClass: cls } : {}),
        ...(expiry !== undefined ? { expiry } : {}),
        ...(pr !== undefined ? { priority: pr } : {}),
        ...(p.has('delivery-report') ? { deliveryReport: true } : {}),
        ...(p.has('read-report') ? { readReport: true } : {}),
        parts: ps,
      });
      break;
    }
    case 'retrieve-conf': {
      const to = addrs('to');
      const cc = addrs('cc');
      const date = nonNegative(one(p, 'date'), 'date', problems) ?? now;
      const status = enumValue('retrieve-status', one(p, 'status'), 'status', problems);
      const pr = priority();
      const ps = parts(p, io, problems);
      pdu = buildRetrieveConf({
        ...common,
        ...(one(p, 'tid') !== undefined ? { transactionId: tid } : {}),
        ...(one(p, 'message-id') !== undefined ? { messageId: one(p, 'message-id') as string } : {}),
        date,
        ...(from !== undefined ? { from } : {}),
        to,
        cc,
        ...(one(p, 'subject') !== undefined ? { subject: one(p, 'subject') as string } : {}),
        ...(cls !== undefined ? { messageClass: cls } : {}),
        ...(pr !== undefined ? { priority: pr } : {}),
        ...(p.has('delivery-report') ? { deliveryReport: true } : {}),
        ...(p.has('read-report') ? { readReport: true } : {}),
        ...(status !== undefined ? { retrieveStatus: status } : {}),
        parts: ps,
      });
      break;
    }
    case 'notification-ind': {
      const location = one(p, 'location');
      if (location === undefined) problems.push('--location: notification-ind needs the URL the phone retrieves the message from');
      else if (!/^https?:\/\/[^\s/]+/.test(location)) problems.push(`--location ${location}: an http:// or https:// URL`);
      const sizeText = one(p, 'size');
      if (sizeText === undefined) problems.push('--size: notification-ind needs the message size in octets');
      const size = nonNegative(sizeText, 'size', problems);
      const expiry = nonNegative(one(p, 'expiry'), 'expiry', problems) ?? 7 * 24 * 3600;
      pdu = buildNotificationInd({
        ...common,
        transactionId: tid,
        ...(from !== undefined ? { from } : {}),
        ...(one(p, 'subject') !== undefined ? { subject: one(p, 'subject') as string } : {}),
        ...(cls !== undefined ? { messageClass: cls } : {}),
        messageSize: size ?? 0,
        expiry,
        contentLocation: location ?? '',
        ...(p.has('delivery-report') ? { deliveryReport: true } : {}),
      });
      break;
    }
    case 'notifyresp-ind': {
      needTid();
      const status = enumValue('status', one(p, 'status'), 'status', problems);
      const ra = yesNo(one(p, 'report-allowed'), 'report-allowed', problems);
      pdu = buildNotifyRespInd({ ...common, transactionId: tid, ...(status !== undefined ? { status } : {}), ...(ra !== undefined ? { reportAllowed: ra } : {}) });
      break;
    }
    case 'acknowledge-ind': {
      needTid();
      const ra = yesNo(one(p, 'report-allowed'), 'report-allowed', problems);
      pdu = buildAcknowledgeInd({ ...common, transactionId: tid, ...(ra !== undefined ? { reportAllowed: ra } : {}) });
      break;
    }
    case 'send-conf': {
      needTid();
      const status = enumValue('response-status', one(p, 'status'), 'status', problems);
      pdu = buildSendConf({
        ...common,
        transactionId: tid,
        ...(status !== undefined ? { status } : {}),
        ...(one(p, 'message-id') !== undefined ? { messageId: one(p, 'message-id') as string } : {}),
        ...(one(p, 'response-text') !== undefined ? { responseText: one(p, 'response-text') as string } : {}),
      });
      break;
    }
  }
  if (problems.length > 0 || pdu === undefined) throw new MmsArgsError(problems);
  return { pdu, hex: p.has('hex') };
}
