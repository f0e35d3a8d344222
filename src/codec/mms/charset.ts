/**
 * Charsets of MMS Encoded-string-value (ENC 1.3 §7.2.9) and of part `charset` parameters:
 * the IANA MIBenum on the wire (WAP-230 §8.4.2.8 Well-known-charset). Text is decoded to a JS
 * string by charset; encoding back is supported for the charsets Node can write. A charset we
 * can only read (e.g. Shift_JIS through TextDecoder) still decodes; its header keeps its raw
 * octets so the PDU re-encodes byte-exact (see values.ts).
 */

/** [MIBenum, preferred MIME name] */
export const CHARSETS = [
  [0, '*'],
  [3, 'us-ascii'],
  [4, 'iso-8859-1'],
  [5, 'iso-8859-2'],
  [6, 'iso-8859-3'],
  [7, 'iso-8859-4'],
  [8, 'iso-8859-5'],
  [9, 'iso-8859-6'],
  [10, 'iso-8859-7'],
  [11, 'iso-8859-8'],
  [12, 'iso-8859-9'],
  [17, 'shift_jis'],
  [18, 'euc-jp'],
  [36, 'ks_c_5601-1987'],
  [37, 'iso-2022-kr'],
  [38, 'euc-kr'],
  [39, 'iso-2022-jp'],
  [106, 'utf-8'],
  [109, 'iso-8859-13'],
  [111, 'iso-8859-15'],
  [1000, 'iso-10646-ucs-2'],
  [1013, 'utf-16be'],
  [1014, 'utf-16le'],
  [1015, 'utf-16'],
  [2025, 'gb2312'],
  [2026, 'big5'],
  [2084, 'koi8-r'],
  [2252, 'windows-1252'],
] as const;

export const CHARSET_NAME = new Map<number, string>(CHARSETS.map(([c, n]) => [c, n]));
export const UTF8 = 106;

/** Decodes octets in charset `mib` to a string; undefined when we have no decoder for it. */
export function decodeText(b: Buffer, mib: number | undefined): string | undefined {
  switch (mib) {
    case undefined: {
      // A plain Text-string: US-ASCII by the spec, UTF-8 in practice; octets that are not UTF-8 read as latin1.
      const s = b.toString('utf8');
      return s.includes('\ufffd') && !Buffer.from(s, 'utf8').equals(b) ? b.toString('latin1') : s;
    }
    case 106:
      return b.toString('utf8');
    case 3:
    case 4:
      return b.toString('latin1');
    case 1000:
    case 1013:
      return swap16(b)?.toString('utf16le');
    case 1014:
      return b.length % 2 === 0 ? b.toString('utf16le') : undefined;
    case 1015: {
      // UTF-16 with an optional BOM, big-endian without one (RFC 2781 §4.3).
      if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.length % 2 === 0 ? b.subarray(2).toString('utf16le') : undefined;
      if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return swap16(b.subarray(2))?.toString('utf16le');
      return swap16(b)?.toString('utf16le');
    }
    default: {
      const label = CHARSET_NAME.get(mib);
      if (label === undefined || label === '*') return undefined;
      try {
        return new TextDecoder(label, { fatal: false }).decode(b);
      } catch {
        return undefined;
      }
    }
  }
}

/** Encodes a string in charset `mib`; undefined when we cannot write that charset. */
export function encodeText(s: string, mib: number | undefined): Buffer | undefined {
  switch (mib) {
    case undefined:
    case 106:
      return Buffer.from(s, 'utf8');
    case 3:
    case 4:
      return Buffer.from(s, 'latin1');
    case 1000:
    case 1013:
    case 1015:
      return swap16(Buffer.from(s, 'utf16le'));
    case 1014:
      return Buffer.from(s, 'utf16le');
    default:
      return undefined;
  }
}

function swap16(b: Buffer): Buffer | undefined {
  if (b.length % 2 !== 0) return undefined;
  const c = Buffer.from(b);
  return c.swap16();
}
