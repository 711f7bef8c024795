/**
 * The shape of the source tree: no import cycles in src/, prom-client only behind src/metrics/,
 * the simulator independent of the proxy (it stands in for the AC, so it must not share the
 * proxy's view of the API). Imports are read from the sources, type-only imports included:
 * a cycle of types is still a cycle a reader has to untangle.
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

/** Strongly connected components with more than one module (Tarjan), or a module importing itself. */
function cycles(): string[][] {
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
    expect(cycles()).toEqual([]);
  });

  it('imports prom-client only in src/metrics/', () => {
    const users = [...graph].filter(([, { packages }]) => packages.some((p) => p === 'prom-client' || p.startsWith('prom-client/')))
      .map(([module]) => module);
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((m) => !m.startsWith('metrics/'))).toEqual([]);
  });

  it('keeps the simulator independent of the proxy', () => {
    const outside = [...graph].filter(([module]) => module.startsWith('simulator/'))
      .flatMap(([module, { local }]) => local.filter((t) => !t.startsWith('simulator/')).map((t) => `${module} → ${t}`));
    expect(outside).toEqual([]);
  });
});
