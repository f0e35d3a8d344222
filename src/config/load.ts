/**
 * Loads YAML into a validated Config. Every problem (YAML syntax, wrong type, unknown key,
 * bad value) becomes one `key.path: what is wrong` line; nothing is reported one at a time.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
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

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) lines.push(`${pathText([...i.path, k])}: unknown key`);
    } else {
      lines.push(`${pathText(i.path)}: ${i.message}`);
    }
  }
  return lines;
}

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(raw: unknown): Config {
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues));
  return r.data;
}

export function parseConfigText(text: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const lp = lines.linePos(e.pos[0]);
        return `line ${lp.line} column ${lp.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return parseConfig(doc.toJS());
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`(file): cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  return parseConfigText(text);
}

/** The defaults, as a Config. */
export function defaultConfig(): Config {
  return parseConfig({});
}
