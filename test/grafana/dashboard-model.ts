/**
 * Reading the shipped Grafana dashboards for tests: load them, walk panels and targets, and
 * turn a panel query into plain PromQL by substituting template variables.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));

export interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
  [key: string]: unknown;
}

/** Every dashboard JSON file, parsed, with its file name. */
export async function loadDashboards(): Promise<Array<{ file: string; dashboard: Dashboard }>> {
  const files = (await readdir(DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({ file, dashboard: JSON.parse(await readFile(`${DASHBOARD_DIR}${file}`, 'utf8')) as Dashboard })),
  );
}

/** Panels including those nested in collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every (panel, target) pair of the non-row panels. */
export function allTargets(dashboard: Dashboard): Array<{ panel: Panel; target: Target }> {
  return allPanels(dashboard)
    .filter((p) => p.type !== 'row')
    .flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** Grafana's built-in variables that dashboards may use without defining. */
export const BUILTIN_VARIABLES = new Set([
  '__rate_interval',
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__dashboard',
  '__from',
  '__to',
]);

/** Names of template variables referenced as $name or ${name} (or ${name:format}). */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g)) {
    const name = match[1] ?? match[2];
    if (name) names.add(name);
  }
  return [...names];
}

/**
 * PromQL Prometheus can run directly: every label-matching variable becomes `.*`, ranges become
 * `rangeWindow`. Dashboards only use variables inside `=~"..."` matchers, which the structural
 * test checks, so `.*` selects everything.
 */
export function toPromql(expr: string, rangeWindow: string): string {
  return expr
    .replaceAll('$__rate_interval', rangeWindow)
    .replaceAll('$__range', rangeWindow)
    .replaceAll('$__interval', rangeWindow)
    .replace(/\$\{?(\w+)\}?/g, '.*');
}
