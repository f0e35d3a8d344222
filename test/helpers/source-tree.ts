/**
 * The TypeScript sources under src/ as text, for tests that check the code's shape (one
 * definition per fact, the import graph, what comments cite). Paths are relative to the
 * repository root with forward slashes ("src/bridge/headers.ts").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface SourceFile {
  path: string;
  text: string;
}

/** Every .ts file under `dir` (default src/), sorted by path. */
export function sourceFiles(dir = 'src'): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (abs: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push({ path: relative(ROOT, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(ROOT, dir));
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The files whose text matches `re`. */
export function filesMatching(files: readonly SourceFile[], re: RegExp): string[] {
  return files.filter((f) => re.test(f.text)).map((f) => f.path);
}
