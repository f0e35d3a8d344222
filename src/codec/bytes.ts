/**
 * Byte reader/writer and the WSP basic rules every codec shares (WAP-230 §8.1, §8.4.1-8.4.2):
 * uintvar, Short-integer, Long-integer, Integer-value, Value-length, Text-string,
 * Quoted-string, Token-text. The reader never allocates by a claimed length: every length is
 * checked against what remains before anything is sliced, and every failure is a DecodeError
 * carrying the offset. Strings are read as latin1 so that bytes round-trip exactly; callers
 * that know a charset (MMS Encoded-string-value) convert the raw bytes themselves.
 */
import { DecodeError, EncodeError } from '../core/errors';

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  readonly layer: string;

  constructor(buf: Buffer, layer = 'bytes', start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.layer = layer;
  }

  get remaining(): number {
    return this.end - this.pos;
  }
  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new DecodeError(this.layer, at, message);
  }

  need(n: number, what: string): void {
    if (n < 0 || n > this.remaining) {
      this.fail(`${what} needs ${n} octets but ${this.remaining} remain`);
    }
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos] as number;
  }

  u8(what = 'octet'): number {
    if (this.pos >= this.end) this.fail(`unexpected end of data reading ${what}`);
    return this.buf[this.pos++] as number;
  }

  u16(what = 'uint16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'uint32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next n octets. */
  bytes(n: number, what = 'data'): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }

  /** A sub-reader over the next n octets; this reader skips past them. */
  sub(n: number, what = 'data'): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.layer, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** WAP-230 §8.1.2 uintvar: 7 bits per octet, MSB continues, at most 5 octets and 32 bits. */
  uintvar(what = 'uintvar'): number {
    const start = this.pos;
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const o = this.u8(what);
      if (i === 4 && v > 0x1ffffff) this.fail(`${what} exceeds 32 bits`, start);
      v = v * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) return v;
    }
    return this.fail(`${what} longer than 5 octets`, start);
  }

  /** Short-integer: one octet 0x80|v. */
  shortInteger(what = 'Short-integer'): number {
    const o = this.u8(what);
    if ((o & 0x80) === 0) this.fail(`${what} expected (octet >= 0x80), got 0x${hex2(o)}`, this.pos - 1);
    return o & 0x7f;
  }

  /** Long-integer: Short-length (1..30) then that many big-endian octets. Numbers up to 2^48. */
  longInteger(what = 'Long-integer'): number {
    const start = this.pos;
    const len = this.u8(what);
    if (len < 1 || len > 30) this.fail(`${what} length ${len} outside 1..30`, start);
    const b = this.bytes(len, what);
    let v = 0;
    for (const o of b) {
      v = v * 256 + o;
      if (v > Number.MAX_SAFE_INTEGER) this.fail(`${what} too large`, start);
    }
    return v;
  }

  /** Integer-value: Short-integer or Long-integer. */
  integerValue(what = 'Integer-value'): number {
    const o = this.peek();
    if (o & 0x80) return this.shortInteger(what);
    return this.longInteger(what);
  }

  /** Value-length: 0..30 direct, or 31 (Length-quote) followed by a uintvar. Checked against what remains. */
  valueLength(what = 'Value-length'): number {
    const start = this.pos;
    const o = this.u8(what);
    let len: number;
    if (o <= 30) len = o;
    else if (o === 31) len = this.uintvar(what);
    else return this.fail(`${what} expected (octet <= 0x1F), got 0x${hex2(o)}`, start);
    if (len > this.remaining) this.fail(`${what} ${len} exceeds the ${this.remaining} octets that remain`, start);
    return len;
  }

  /** Raw octets up to (not including) the next NUL; the NUL is consumed. */
  cstring(what = 'Text-string'): Buffer {
    const idx = this.buf.indexOf(0, this.pos);
    if (idx < 0 || idx >= this.end) this.fail(`${what} has no terminating NUL`);
    const b = this.buf.subarray(this.pos, idx);
    this.pos = idx + 1;
    return b;
  }

  /** Text-string: [Quote 0x7F] *TEXT End-of-string; returned as latin1 (byte-exact). */
  textString(what = 'Text-string'): string {
    if (this.peek() === 0x7f) this.pos++;
    return this.cstring(what).toString('latin1');
  }

  /** Text-string as raw octets (quote removed), for callers that apply a charset. */
  textBytes(what = 'Text-string'): Buffer {
    if (this.peek() === 0x7f) this.pos++;
    return this.cstring(what);
  }

  /** Quoted-string: 0x22 *TEXT End-of-string (the closing quote is not on the wire). */
  quotedString(what = 'Quoted-string'): string {
    const o = this.u8(what);
    if (o !== 0x22) this.fail(`${what} must start with 0x22, got 0x${hex2(o)}`, this.pos - 1);
    return this.cstring(what).toString('latin1');
  }

  /** Token-text: token characters then NUL. */
  tokenText(what = 'Token-text'): string {
    return this.cstring(what).toString('latin1');
  }
}

export function hex2(o: number): string {
  return o.toString(16).padStart(2, '0');
}

/** Octets needed for a uintvar of v. */
export function uintvarLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class Writer {
  private buf: Buffer;
  private len = 0;
  readonly layer: string;

  constructor(layer = 'bytes', initial = 256) {
    this.layer = layer;
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError(this.layer, `octet ${v} out of range`);
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EncodeError(this.layer, `uint16 ${v} out of range`);
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(this.layer, `uint32 ${v} out of range`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  uintvar(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(this.layer, `uintvar ${v} out of range`);
    const n = uintvarLength(v);
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      const shift = Math.floor(v / 128 ** i) % 128;
      this.buf[this.len++] = shift | (i > 0 ? 0x80 : 0);
    }
    return this;
  }

  shortInteger(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 127) throw new EncodeError(this.layer, `Short-integer ${v} out of range`);
    return this.u8(0x80 | v);
  }

  longInteger(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new EncodeError(this.layer, `Long-integer ${v} out of range`);
    const octets: number[] = [];
    let x = v;
    do {
      octets.unshift(x % 256);
      x = Math.floor(x / 256);
    } while (x > 0);
    this.u8(octets.length);
    for (const o of octets) this.u8(o);
    return this;
  }

  /** Integer-value: Short-integer when it fits (0..127), else Long-integer. */
  integerValue(v: number): this {
    return v >= 0 && v <= 127 ? this.shortInteger(v) : this.longInteger(v);
  }

  valueLength(n: number): this {
    if (n <= 30) return this.u8(n);
    return this.u8(31).uintvar(n);
  }

  /** Text-string: quoted with 0x7F when the first octet is >= 0x80; latin1 by default. */
  textString(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
    if (b.includes(0)) throw new EncodeError(this.layer, 'Text-string contains NUL');
    if (b.length > 0 && (b[0] as number) >= 0x80) this.u8(0x7f);
    return this.bytes(b).u8(0);
  }

  quotedString(s: string): this {
    const b = Buffer.from(s, 'latin1');
    if (b.includes(0)) throw new EncodeError(this.layer, 'Quoted-string contains NUL');
    return this.u8(0x22).bytes(b).u8(0);
  }

  tokenText(s: string): this {
    const b = Buffer.from(s, 'latin1');
    if (b.includes(0)) throw new EncodeError(this.layer, 'Token-text contains NUL');
    return this.bytes(b).u8(0);
  }

  /** Writes a Value-length followed by what `inner` writes. */
  withValueLength(inner: (w: Writer) => void): this {
    const w = new Writer(this.layer, 64);
    inner(w);
    const b = w.toBuffer();
    return this.valueLength(b.length).bytes(b);
  }

  /**
   * The octets written. When they fill the buffer exactly (a writer sized for its output) that
   * buffer is returned as it is, without a copy: any later write would move to a new buffer, so
   * the returned one never changes.
   */
  toBuffer(): Buffer {
    if (this.len === this.buf.length) return this.buf;
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** Tagged template for annotated hex in tests and tables: whitespace, `|` and `#...` comments ignored. */
export function hex(strings: TemplateStringsArray | string, ...vals: unknown[]): Buffer {
  const raw = typeof strings === 'string' ? strings : strings.reduce((a, s, i) => a + s + (i < vals.length ? String(vals[i]) : ''), '');
  const clean = raw
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('')
    .replace(/[\s|]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${clean}`);
  return Buffer.from(clean, 'hex');
}
