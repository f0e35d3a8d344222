/**
 * The import graph of src/ (docs/architecture.md, "Layers"): no import circle anywhere, type-only
 * imports included (a circle of types is still two modules that cannot be read one without the
 * other); the pure cores import no socket, timer, metrics or logger module; every component
 * implements the one contract of src/core/component.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';
import { ROOT, sourceFiles, type SourceFile } from '../helpers/source-tree';

const files = sourceFiles();

/** Relative module specifiers a file imports or re-exports (static, dynamic and require). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:^|[\s;])(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of code.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
  return out;
}

/** The repository path a relative specifier of `from` names (".../x" -> ".../x.ts" or ".../x/index.ts"). */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = normalize(join(dirname(from), spec)).split('\\').join('/');
  for (const c of [`${base}.ts`, `${base}/index.ts`]) if (existsSync(join(ROOT, c))) return c;
  return undefined;
}

function graph(fs: readonly SourceFile[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of fs) g.set(f.path, importsOf(f.text).map((s) => resolve(f.path, s)).filter((x): x is string => x !== undefined));
  return g;
}

/** Every elementary circle found by a depth-first search, each as a list of files (first repeated at the end). */
function circles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}

t.test('the import parser reads every form', async (t) => {
  t.same(
    importsOf(`import a from './a';\nimport type { B } from "../b";\nexport * from './c';\nexport { d } from './d';\nimport './e';\nconst f = await import('./f');\nconst g = require('./g');\n// import x from './commented';\nimport {\n  h,\n  i,\n} from './hi';`),
    ['./a', '../b', './c', './d', './e', './f', './g', './hi'],
  );
  t.same(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c', 'a']], 'finds a circle');
});

t.test('no import circle in src/', async (t) => {
  const g = graph(files);
  t.ok(g.size > 50, `read ${g.size} modules`);
  t.ok([...g.values()].some((deps) => deps.includes('src/core/component.ts')), 'resolves imports');
  const found = circles(g);
  t.same(found.map((c) => c.join(' -> ')), [], 'no circle');
});

/** The folder (layer) of a module: src/x for src/x/..., src/codec/x for each codec; a file directly in src/ or src/codec/ is its own. */
function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts.length === 2 || (parts[1] === 'codec' && parts.length === 3)) return path;
  return parts[1] === 'codec' && parts.length > 3 ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
}

/** Groups of layers that import each other (strongly connected components of more than one layer), sorted. */
function layerCircles(g: Map<string, string[]>): string[] {
  const lg = new Map<string, Set<string>>();
  for (const [from, tos] of g) for (const to of tos) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a !== b) (lg.get(a) ?? lg.set(a, new Set()).get(a)!).add(b);
  }
  const reach = (a: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [a];
    while (todo.length) for (const n of lg.get(todo.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), todo.push(n));
    return seen;
  };
  const groups = new Set<string>();
  for (const a of lg.keys()) {
    const ra = reach(a);
    const group = [...ra].filter((b) => b === a || reach(b).has(a));
    if (group.length > 1) groups.add([...new Set([a, ...group])].sort().join(' <-> '));
  }
  return [...groups].sort();
}

/**
 * Layer circles that exist today, each with why it is left (docs/architecture.md, "Known debts").
 * A circle not listed fails; one listed that is gone is reported so the list can shrink.
 */
const KNOWN_LAYER_CIRCLES: Record<string, string> = {
  // admin reads the SubscriberStore interface; the subscriber table counts into src/ops/metrics.ts
  'src/ops <-> src/subscribers': 'Metrics lives in src/ops',
};

t.test('no import circle between layers beyond the known ones', async (t) => {
  const found = layerCircles(graph(files));
  const unknown = found.filter((c) => !(c in KNOWN_LAYER_CIRCLES));
  t.same(unknown, [], 'no new layer circle');
  for (const c of Object.keys(KNOWN_LAYER_CIRCLES)) if (!found.includes(c)) t.comment(`gone, remove from KNOWN_LAYER_CIRCLES: ${c}`);
  t.same(layerCircles(new Map([['src/a/x.ts', ['src/b/y.ts']], ['src/b/y.ts', ['src/c/z.ts']], ['src/c/z.ts', ['src/a/w.ts']], ['src/a/w.ts', []]])), ['src/a <-> src/b <-> src/c'], 'finds a layer circle');
});

t.test('the pure cores (src/codec, src/policy) open no socket and count nothing', async (t) => {
  const io = /^(node:)?(dgram|net|http|https|tls|timers)$|^(prom-client|pino)$|\/ops\/metrics$|\/core\/logger$/;
  for (const f of files.filter((x) => x.path.startsWith('src/codec/') || x.path.startsWith('src/policy/'))) {
    const bad = importsOf(f.text).filter((s) => io.test(s));
    t.same(bad, [], f.path);
  }
});

// src/wtp and src/wsp: test/wsp/pure-cores.test.ts checks their imports.

/**
 * The WTP/WSP seams (docs/architecture.md, "Layers"): each boundary is owned by the lower layer,
 * so WTP imports nothing from WSP or above, and WSP nothing from its user (the bridge) or the
 * edge: WSP owns the method boundary (src/wsp/method.ts) and the bridge implements it.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'src/wtp': ['src/core', 'src/codec/wtp', 'src/config'],
  'src/wsp': ['src/core', 'src/codec/wtp', 'src/codec/wsp', 'src/codec/mms', 'src/config', 'src/wtp'],
};

t.test('src/wtp and src/wsp import only the layers below them', async (t) => {
  const g = graph(files);
  for (const [from, tos] of g) {
    const layer = layerOf(from);
    const allowed = MAY_IMPORT[layer];
    if (!allowed) continue;
    const up = tos.filter((to) => layerOf(to) !== layer && !allowed.some((a) => to.startsWith(`${a}/`) || to === `${a}.ts`));
    t.same(up, [], `${from} imports only ${allowed.join(', ')}`);
  }
  t.ok([...g.keys()].filter((f) => layerOf(f) === 'src/wsp').length >= 5, 'read the WSP layer');
});

t.test('every component implements the one contract', async (t) => {
  const components = files.filter((f) => f.path !== 'src/main.ts' && /\basync start\(\): Promise<Listening\[\]>/.test(f.text));
  t.ok(components.length >= 6, `${components.length} components (the composition root, src/main.ts, is none)`);
  for (const f of components) t.match(f.text, /class \w+ implements Component\b/, `${f.path} says implements Component`);
  // nobody redeclares the contract's shapes
  const redeclared = files.filter((f) => f.path !== 'src/core/component.ts' && /interface \w*Listening\b|protocol: 'tcp'; address: string; port: number/.test(f.text));
  t.same(redeclared.map((f) => f.path), []);
});
