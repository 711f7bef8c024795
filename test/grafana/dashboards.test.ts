// The shipped dashboards: valid against a JSON Schema of Grafana's dashboard model, built the
// way the project promises (datasource variable, no __inputs, $__rate_interval), querying only
// metrics the proxy defines, and every query parsed by a real Prometheus.
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { binaryStatus, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import {
  BUILTIN_VARIABLES,
  allPanels,
  allTargets,
  loadDashboards,
  referencedVariables,
  toPromql,
  type Dashboard,
} from './dashboard-model.js';

const schema = JSON.parse(await readFile(new URL('./dashboard.schema.json', import.meta.url), 'utf8')) as object;
const dashboards = await loadDashboards();
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'table', 'state-timeline']);

/** Metric names the proxy exports, histogram series included. */
async function exportedMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  createMetrics(registry);
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

describe('dashboard files', () => {
  it('finds both dashboards', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['cassia-proxy-gateway.json', 'cassia-proxy-overview.json']);
  });

  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(schema);

  it('the schema rejects what Grafana would not import', () => {
    const good = dashboards[0]?.dashboard as Dashboard;
    expect(validate(good)).toBe(true);
    const broken = [
      { ...good, __inputs: [] },
      { ...good, schemaVersion: 'x' },
      { ...good, panels: [{ ...good.panels[1], gridPos: { x: 0, y: 0, w: 30, h: 4 } }] },
      { ...good, panels: [{ ...good.panels[1], fieldConfig: { defaults: { color: { mode: 'rainbow' } }, overrides: [] } }] },
      { ...good, templating: { list: [{ name: 'x', type: 'dropdown' }] } },
      // Grafana's VariableOption needs text and value: an empty `current` is not a valid selection.
      { ...good, templating: { list: [{ name: 'x', type: 'query', current: {} }] } },
    ];
    for (const candidate of broken) expect(validate(candidate), JSON.stringify(candidate).slice(0, 80)).toBe(false);
  });

  describe.each(dashboards)('$file', ({ dashboard }) => {
    it('validates against the Grafana dashboard JSON Schema', () => {
      const ok = validate(dashboard);
      expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
      expect(ok).toBe(true);
    });

    it('has a uid, a current schemaVersion and only known panel types', () => {
      expect(dashboard.uid).toMatch(/^cassia-proxy-/);
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(dashboard).not.toHaveProperty('__inputs');
      for (const panel of allPanels(dashboard)) expect(PANEL_TYPES, panel.title).toContain(panel.type);
    });

    it('has unique panel ids and a gridPos on every panel, without overlaps', () => {
      const panels = allPanels(dashboard);
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Map<string, string>();
      for (const panel of panels) {
        const pos = panel.gridPos;
        expect(pos, panel.title).toBeDefined();
        if (!pos) continue;
        expect(pos.x + pos.w, panel.title).toBeLessThanOrEqual(24);
        for (let x = pos.x; x < pos.x + pos.w; x++) {
          for (let y = pos.y; y < pos.y + pos.h; y++) {
            const key = `${x},${y}`;
            expect(cells.get(key), `${panel.title} overlaps ${cells.get(key)}`).toBeUndefined();
            cells.set(key, panel.title ?? '');
          }
        }
      }
    });

    it('reads data only through the ${datasource} variable', () => {
      const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
      expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
        expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual(panel.datasource);
      }
      for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
        expect(v, v.name).toMatchObject({ datasource: { type: 'prometheus', uid: '${datasource}' } });
      }
    });

    it('every target has a non-empty expr and a unique refId within its panel', () => {
      for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
        const targets = panel.targets ?? [];
        expect(targets.length, panel.title).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, panel.title).toBe(targets.length);
        for (const target of targets) expect(target.expr?.trim(), panel.title).toBeTruthy();
      }
    });

    it('uses only variables it defines (or Grafana built-ins), and only inside =~ matchers', () => {
      const defined = new Set(dashboard.templating.list.map((v) => v.name));
      const texts = [
        ...allTargets(dashboard).map(({ target }) => target.expr ?? ''),
        ...allPanels(dashboard).map((p) => p.title ?? ''),
        ...dashboard.templating.list.map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''))),
      ];
      for (const text of texts) {
        for (const name of referencedVariables(text)) {
          expect(defined.has(name) || BUILTIN_VARIABLES.has(name), `$${name} in ${text.slice(0, 60)}`).toBe(true);
        }
      }
      for (const { target } of allTargets(dashboard)) {
        for (const match of (target.expr ?? '').matchAll(/(\w+)(=~|!~|!=|=)"\$(\w+)"/g)) {
          expect(match[2], match[0]).toBe('=~');
        }
      }
    });

    it('takes rates over $__rate_interval (or $__range for whole-range stats)', () => {
      for (const { panel, target } of allTargets(dashboard)) {
        for (const match of (target.expr ?? '').matchAll(/\[([^\]]+)\]/g)) {
          expect(['$__rate_interval', '$__range'], panel.title).toContain(match[1]);
        }
      }
    });
  });

  it('the overview has the job, instance, transport and gateway variables', () => {
    const overview = dashboards.find((d) => d.file === 'cassia-proxy-overview.json')?.dashboard;
    expect(overview?.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance', 'transport', 'gateway']);
  });

  it('queries only metrics the proxy exports', async () => {
    const exported = await exportedMetricNames();
    for (const { dashboard } of dashboards) {
      for (const { panel, target } of allTargets(dashboard)) {
        for (const [name] of (target.expr ?? '').matchAll(/cassia_proxy_\w+/g)) {
          expect(exported.has(name), `${name} in "${panel.title}"`).toBe(true);
        }
      }
    }
  });
});

const status = binaryStatus('prometheus');

describe.runIf(status.mustFail)('dashboard queries (prometheus missing under CI)', () => {
  it('fails because prometheus is required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('dashboard queries against a real Prometheus', () => {
  let prometheus: RunningPrometheus | undefined;
  beforeAll(async () => {
    prometheus = await startPrometheus({ scrape: [] });
  }, 30_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  const queries = dashboards.flatMap(({ file, dashboard }) =>
    allTargets(dashboard).map(({ panel, target }) => ({ name: `${file} "${panel.title}" ${target.refId}`, expr: target.expr ?? '' })),
  );
  it.each(queries)('$name parses and runs', async ({ expr }) => {
    await expect((prometheus as RunningPrometheus).query(toPromql(expr, '1m'))).resolves.toBeInstanceOf(Array);
  });
  it('variable queries reference real label_values() calls', () => {
    for (const { dashboard } of dashboards) {
      for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
        const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
        expect(query, v.name).toMatch(/^label_values\(cassia_proxy_\w+(\{[^}]*\})?, \w+\)$/);
      }
    }
  });
});
