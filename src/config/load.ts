/**
 * Loads YAML into a validated Config. Every problem (YAML syntax, wrong type, unknown key,
 * bad value) becomes one `key.path: what is wrong` line; nothing is reported one at a time.
 * When the text came from a file, each line also names the file and the line of the mistake
 * (`mmsc.timeotMs: unknown key; did you mean "mmsc.timeoutMs"? (conf/wapgw.yaml line 3)`), and
 * a YAML syntax error names the line where the mistake is, not a comment or blank line before
 * it nor the correct lines after it.
 */
import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors';
import { configSchema, type Config } from './schema';

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length] as number;
}

interface SchemaNode {
  _zod: { def: { type: string; shape?: Record<string, SchemaNode>; innerType?: SchemaNode; element?: SchemaNode; in?: SchemaNode } };
}

/** The keys the schema knows at `path` (an object inside defaults, arrays and optionals). */
export function knownKeysAt(path: readonly PropertyKey[], schema: unknown = configSchema): string[] {
  let node = schema as SchemaNode | undefined;
  const unwrap = (n: SchemaNode | undefined): SchemaNode | undefined => {
    let cur = n;
    for (let guard = 0; cur && guard < 10; guard++) {
      const d = cur._zod.def;
      if (d.innerType) cur = d.innerType;
      else if (d.type === 'pipe' && d.in) cur = d.in;
      else break;
    }
    return cur;
  };
  for (const p of path) {
    node = unwrap(node);
    if (!node) return [];
    const d = node._zod.def;
    if (typeof p === 'number') node = d.element;
    else node = d.shape?.[String(p)];
  }
  node = unwrap(node);
  return node?._zod.def.shape ? Object.keys(node._zod.def.shape) : [];
}

/** The closest known key to `key` at `path`, when one is close enough to be a typo. */
export function closestKey(path: readonly PropertyKey[], key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of knownKeysAt(path)) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  // A typo, a wrong case or a swapped pair; not any key at all.
  const allowed = key.length <= 4 ? 1 : Math.max(2, Math.floor(key.length / 4));
  return bestD <= allowed ? best : undefined;
}

export interface SourceInfo {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** The 1-based line of the node at `path` (or of the key `key` inside it). */
function lineOf(src: SourceInfo, path: readonly PropertyKey[], key?: string): number | undefined {
  const node: unknown = path.length === 0 ? src.doc.contents : src.doc.getIn(path as Array<string | number>, true);
  let range: readonly number[] | null | undefined;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((i) => isNode(i.key) && (i.key as { value?: unknown }).value === key);
    range = pair && isNode(pair.key) ? pair.key.range : undefined;
  } else if (isNode(node)) {
    range = node.range;
  }
  if (!range) {
    // the value is absent (a missing key): name the line of the closest parent that exists
    return path.length > 0 ? lineOf(src, path.slice(0, -1)) : undefined;
  }
  return src.lines.linePos(range[0] as number).line;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], src?: SourceInfo): string[] {
  const lines: string[] = [];
  const where = (path: readonly PropertyKey[], key?: string): string => {
    if (!src) return '';
    const l = lineOf(src, path, key);
    return l === undefined ? ` (${src.file})` : ` (${src.file} line ${l})`;
  };
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) {
        const near = closestKey(i.path, k);
        const hint = near !== undefined ? `; did you mean "${pathText([...i.path, near])}"?` : '';
        lines.push(`${pathText([...i.path, k])}: unknown key${hint}${where(i.path, k)}`);
      }
    } else {
      lines.push(`${pathText(i.path)}: ${i.message}${where(i.path)}`);
    }
  }
  return lines;
}

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, src?: SourceInfo): Config {
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, src));
  return r.data;
}

const indentOf = (line: string): number => /^ */.exec(line)?.[0].length ?? 0;
const isBlankOrComment = (line: string): boolean => /^\s*(#.*)?$/.test(line);

/**
 * Where a YAML syntax error really is. The parser reports some errors at the comment or blank
 * line before the offending one (the position where it started looking); and when a mapping's
 * first item is indented too deep, it blames the correctly indented item after it. `line` is
 * 1-based as the parser gave it; the answer is the line a person should edit.
 */
export function mistakeLine(text: string, line: number, code?: string): number {
  const rows = text.split(/\r?\n/);
  let l = line;
  while (l <= rows.length && isBlankOrComment(rows[l - 1] ?? '')) l++;
  if (l > rows.length) return line;
  if (code !== 'BAD_INDENT') return l;
  const here = indentOf(rows[l - 1] as string);
  // The item before (skipping comments): if it is deeper than this one, find the parent.
  let k = l - 1;
  while (k >= 1 && isBlankOrComment(rows[k - 1] as string)) k--;
  if (k < 1 || indentOf(rows[k - 1] as string) <= here) return l;
  let firstChild = k;
  for (let j = k; j >= 1; j--) {
    const r = rows[j - 1] as string;
    if (isBlankOrComment(r)) continue;
    const ind = indentOf(r);
    if (ind < here) {
      // `j` is the parent; is this line where its children belong, by the file's indent step?
      // the file's indent step: the indent of its first indented line
      const first = rows.find((s) => !isBlankOrComment(s) && indentOf(s) > 0);
      const step = first === undefined ? 2 : indentOf(first);
      return here === ind + step ? firstChild : l;
    }
    firstChild = j;
  }
  return l;
}

export function parseConfigText(text: string, file?: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const seen = new Set<number>();
    const out: string[] = [];
    for (const e of doc.errors) {
      const lp = lines.linePos(e.pos[0]);
      const line = mistakeLine(text, lp.line, e.code);
      // one error cascades into several at the same place: report the place once
      if (seen.has(line)) continue;
      seen.add(line);
      const col = line === lp.line ? lp.col : indentOf(text.split(/\r?\n/)[line - 1] ?? '') + 1;
      out.push(`${file !== undefined ? `${file} ` : ''}line ${line} column ${col}: ${e.message.split('\n')[0]}`);
    }
    throw new ConfigError(out);
  }
  return parseConfig(doc.toJS(), file !== undefined ? { file, doc, lines } : undefined);
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`(file): cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  return parseConfigText(text, file);
}

/** The defaults, as a Config. */
export function defaultConfig(): Config {
  return parseConfig({});
}
