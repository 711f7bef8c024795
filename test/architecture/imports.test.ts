/**
 * The shape of the source tree: no import cycles in src/, neither between modules nor between
 * folders (a folder is one concept; each file directly in src/ counts as a concept of its own),
 * prom-client only behind src/metrics/, the simulator independent of the proxy (it stands in for
 * the AC, so it must not share the proxy's view of the API), the vocabulary free of imports.
 * Imports are read from the sources, type-only imports included: a cycle of types is still a
 * cycle a reader has to untangle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Module (path relative to src/, without extension) → the specifiers it imports. */
const graph = new Map<string, { local: string[]; packages: string[] }>();
for (const file of sources(SRC)) {
  const text = readFileSync(file, 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? '';
    if (spec.startsWith('.')) local.push(relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, ''));
    else packages.push(spec);
  }
  graph.set(relative(SRC, file).replace(/\.ts$/, ''), { local, packages });
}

/** Strongly connected components with more than one node (Tarjan), or a node importing itself. */
function cycles(graph: ReadonlyMap<string, { local: readonly string[] }>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.local ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.local.includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** The folder a module belongs to (`proxy/exchange` → `proxy`); a file directly in src/ is its own node. */
const folderOf = (module: string): string => module.split('/')[0] ?? module;

/** The graph between folders, with the module imports behind each edge (to name them when a cycle is found). */
function folderGraph(): { graph: Map<string, { local: string[] }>; why: Map<string, string[]> } {
  const folders = new Map<string, { local: string[] }>();
  const why = new Map<string, string[]>();
  for (const [module, { local }] of graph) {
    const from = folderOf(module);
    const node = folders.get(from) ?? { local: [] };
    folders.set(from, node);
    for (const target of local) {
      const to = folderOf(target);
      if (to === from) continue;
      if (!node.local.includes(to)) node.local.push(to);
      const edge = `${from} → ${to}`;
      why.set(edge, [...(why.get(edge) ?? []), `${module} → ${target}`]);
    }
  }
  return { graph: folders, why };
}

describe('source tree', () => {
  it('reads a plausible import graph (guards the checks below against a broken parser)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('main')?.local).toContain('proxy/server');
    expect(graph.get('metrics/metrics')?.packages).toContain('prom-client');
    for (const [module, { local }] of graph) {
      for (const target of local) expect(graph.has(target), `${module} imports ${target}, which is not in src/`).toBe(true);
    }
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no import cycles between folders', () => {
    const { graph: folders, why } = folderGraph();
    expect(folders.get('proxy')?.local).toContain('gateways');
    const found = cycles(folders).map((scc) => scc.flatMap((from) => scc.flatMap((to) => why.get(`${from} → ${to}`) ?? [])));
    expect(found).toEqual([]);
  });

  it('finds a cycle between folders (the check itself can fail)', () => {
    const loop = new Map([['a', { local: ['b'] }], ['b', { local: ['c'] }], ['c', { local: ['a'] }], ['d', { local: ['a'] }]]);
    expect(cycles(loop)).toEqual([['a', 'b', 'c']]);
  });

  it('keeps the vocabulary free of imports, so every folder can use it', () => {
    expect(graph.get('vocabulary')).toEqual({ local: [], packages: [] });
  });

  it('imports prom-client only in src/metrics/', () => {
    const users = [...graph].filter(([, { packages }]) => packages.some((p) => p === 'prom-client' || p.startsWith('prom-client/')))
      .map(([module]) => module);
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((m) => !m.startsWith('metrics/'))).toEqual([]);
  });

  it('keeps prom-client out of the fleet report command (a reporting tool does not load the exporter)', () => {
    const reached = new Set<string>();
    const visit = (module: string): void => {
      if (reached.has(module)) return;
      reached.add(module);
      for (const target of graph.get(module)?.local ?? []) visit(target);
    };
    visit('fleet/main');
    expect(reached).toContain('report/ring');
    const loaders = [...reached].filter((m) => graph.get(m)?.packages.some((p) => p === 'prom-client' || p.startsWith('prom-client/')));
    expect(loaders).toEqual([]);
  });

  it('reads the environment and argv only in cli.ts (every other module is handed them)', () => {
    const readers = sources(SRC).filter((file) => /process\.(env|argv)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(readers).toEqual(['cli.ts']);
  });

  it('keeps the simulator independent of the proxy', () => {
    const outside = [...graph].filter(([module]) => module.startsWith('simulator/'))
      .flatMap(([module, { local }]) => local.filter((t) => !t.startsWith('simulator/')).map((t) => `${module} → ${t}`));
    expect(outside).toEqual([]);
  });
});
