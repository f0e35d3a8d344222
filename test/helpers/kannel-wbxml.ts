/**
 * Kannel's SI/SL compilers and WBXML decompiler (Debian kannel-extras, /usr/lib/kannel/test/)
 * as judges for src/codec/wbxml. `test_si -f OUT FILE` writes "si compiler returned %d",
 * "content being" and then the compiled octets with every non-printable octet written as
 * \xHH (Kannel's octstr dump); kannelCompile turns that back into bytes. `decompile FILE`
 * prints the document with WML's names (it has no SI/SL tables, so names show as "(null)"),
 * and says "Input stream is incomplete" on a document it cannot read (its exit code is 0 either
 * way).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTool } from './peer-tool';

export const KANNEL_TEST_DIR = process.env.KANNEL_TEST_DIR ?? '/usr/lib/kannel/test';
const tool = (name: string): string => join(KANNEL_TEST_DIR, name);

export const hasKannelWbxml = (): boolean => ['test_si', 'test_sl', 'decompile'].every((n) => existsSync(tool(n)));

/**
 * tap's `skip` option for tests needing Kannel's test tools: a reason outside CI when they are
 * missing; under CI (`CI` set) never skipped, so the test fails there instead.
 */
export function kannelWbxmlSkip(): string | false {
  return needTool(hasKannelWbxml(), `Kannel's test_si/test_sl/decompile (${KANNEL_TEST_DIR})`, 'kannel-extras');
}

/** Reverses Kannel's octstr dump: printable characters as they are, \xHH for the rest. */
export function unescapeKannelDump(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s.startsWith('\\x', i) && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      out.push(s.charCodeAt(i) & 0xff);
      i++;
    }
  }
  return Buffer.from(out);
}

/** Compiles an SI or SL document with Kannel's compiler; undefined when it refuses it. */
export function kannelCompile(kind: 'si' | 'sl', xml: string): Buffer | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-kannel-wbxml-'));
  try {
    writeFileSync(join(dir, 'in.xml'), xml);
    const r = spawnSync(tool(kind === 'si' ? 'test_si' : 'test_sl'), ['-f', join(dir, 'out'), join(dir, 'in.xml')], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    if (r.error) throw r.error;
    if (!existsSync(join(dir, 'out'))) return undefined;
    const dump = readFileSync(join(dir, 'out')).toString('latin1');
    const m = /compiler returned (-?\d+|%d)\\x0acontent being\\x0a([\s\S]*)$/.exec(dump);
    if (!m) throw new Error(`unexpected ${kind} compiler output: ${dump.slice(0, 200)}`);
    const body = unescapeKannelDump(m[2] as string);
    return body.length > 0 ? body : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs Kannel's decompile on bytes; `ok` is false when it could not read them. */
export function kannelDecompile(bytes: Buffer): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-kannel-wbxml-'));
  try {
    writeFileSync(join(dir, 'in.wbxml'), bytes);
    const r = spawnSync(tool('decompile'), [join(dir, 'in.wbxml')], { encoding: 'latin1', timeout: 20_000 });
    if (r.error) throw r.error;
    const output = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0 && !/incomplete|error|not found/i.test(output), output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The shape of Kannel's decompiled output: element and attribute structure and text, with
 * attribute values removed (decompile prints each string part of a value but not the SI/SL
 * value tokens, so two valid encodings of one value print differently).
 */
export function kannelShape(output: string): string {
  return output.replace(/(="[^"]*")+/g, '').replace(/[ \t]+$/gm, '');
}

/**
 * What an SI/SL document says, for comparing two documents: element names, attributes as a
 * sorted list, the text with white space folded (WAP-167 treats it as display text), children.
 */
export interface Meaning {
  name: string;
  attrs: Array<[string, string]>;
  text: string;
  children: Meaning[];
}
export function meaningOf(el: { name: string; attrs: Record<string, string>; text: string; children: readonly unknown[] }): Meaning {
  return {
    name: el.name,
    attrs: Object.entries(el.attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    text: el.text.replace(/[ \t\r\n]+/g, ' ').trim(),
    children: (el.children as Array<typeof el>).map(meaningOf),
  };
}
