/**
 * The configuration reference, generated from the schema (the single source of truth): one
 * row per leaf key with its default and description. README.md holds this table between
 * markers and a test keeps it identical; regenerate with `node dist/config/docs.js`.
 */
import { z } from 'zod';
import { configSchema } from './schema';

export interface KeyDoc {
  key: string;
  default: unknown;
  description: string;
}

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; default?: unknown; description?: string };

export function configKeys(): KeyDoc[] {
  const root = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema;
  const out: KeyDoc[] = [];
  const walk = (s: JsonSchema, path: string[]) => {
    if (s.type === 'object' && s.properties) {
      for (const [k, v] of Object.entries(s.properties)) walk(v, [...path, k]);
      return;
    }
    out.push({ key: path.join('.'), default: s.default, description: s.description ?? '' });
  };
  walk(root, []);
  return out;
}

export function configTable(): string {
  const cell = (v: unknown) => (v === undefined ? '(required)' : `\`${JSON.stringify(v)}\``);
  const rows = configKeys().map((k) => `| \`${k.key}\` | ${cell(k.default)} | ${k.description.replace(/\|/g, '\\|')} |`);
  return ['| key | default | what |', '|---|---|---|', ...rows].join('\n');
}

if (require.main === module) process.stdout.write(`${configTable()}\n`);
