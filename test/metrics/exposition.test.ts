/**
 * The hand-written half of the exposition: the cell families (families.ts) register themselves
 * into prom-client's Registry by duck typing (prom-client 15 has no public interface for a metric
 * it did not make), and exposition.ts derives OpenMetrics from the Prometheus text. Both are
 * checked here against prom-client's own metrics holding the same values: the Prometheus text
 * must be byte for byte what prom-client writes, and the OpenMetrics text what prom-client writes
 * in a registry of that content type. An upgrade of prom-client that changes what its Registry
 * reads from a metric fails here first.
 */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, GaugeFamily, HistogramFamily } from '../../src/metrics/families.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, scrape, toOpenMetrics, wantsOpenMetrics } from '../../src/metrics/exposition.js';
import { createMetrics } from '../../src/metrics/metrics.js';

const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

type Kind = 'counter' | 'gauge' | 'histogram';

/** A prom-client registry that writes OpenMetrics (its own serialiser, the reference). */
function openMetricsRegistry(): Registry {
  const registry = new Registry();
  (registry as unknown as Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** One metric and the values to put in it: label values → value (counter/gauge) or observations (histogram). */
interface Spec {
  kind: Kind;
  name: string;
  help: string;
  labelNames: string[];
  bounds?: number[];
  series: Array<[string[], number[]]>;
}

/** Label values and help texts that need escaping, numbers that need formatting, an empty family. */
const SPECS: Spec[] = [
  {
    kind: 'counter', name: 'test_requests_total', help: 'Requests "quoted", a \\ backslash\nand a new line',
    labelNames: ['route', 'code'],
    series: [[['/api/x"y\\z\nw', '200'], [3]], [['/api/b', '502'], [1.5]], [['other', '504'], [0]], [['/api/ünï', '499'], [1e21]]],
  },
  { kind: 'counter', name: 'test_empty_total', help: 'Nothing counted yet.', labelNames: ['gateway'], series: [] },
  { kind: 'gauge', name: 'test_active', help: 'Open things.', labelNames: ['stream', 'transport'], series: [[['scan', 'capwap'], [2]], [['combined', 'none'], [-1]], [['rssi', 'mqtt'], [0.125]]] },
  {
    kind: 'histogram', name: 'test_duration_seconds', help: 'How long.', labelNames: ['route', 'method'], bounds: [0.005, 0.1, 1, 2.5, 30],
    series: [[['/a', 'GET'], [0.001, 0.005, 0.05, 1, 2.5, 31, 1000]], [['/b', 'POST'], [0.2]], [['/c', 'GET'], []]],
  },
];

/** The specs as cell families (the proxy's hand-written half). */
function ours(specs: readonly Spec[], registry: Registry): void {
  for (const s of specs) {
    if (s.kind === 'histogram') {
      const family = new HistogramFamily(s.name, s.help, s.labelNames, s.bounds ?? [], registry);
      for (const [labels, observations] of s.series) {
        // Only series that saw something: prom-client makes a histogram series on its first observation.
        if (observations.length === 0) continue;
        const cell = family.cell(...labels);
        for (const v of observations) family.observe(cell, v);
      }
    } else {
      const family = s.kind === 'counter'
        ? new CounterFamily(s.name, s.help, s.labelNames, registry)
        : new GaugeFamily(s.name, s.help, s.labelNames, registry);
      for (const [labels, [value = 0]] of s.series) family.cell(...labels).value += value;
    }
  }
}

/** The same specs as prom-client's own metrics. */
function theirs(specs: readonly Spec[], registry: Registry): Array<Counter | Gauge | Histogram> {
  const made: Array<Counter | Gauge | Histogram> = [];
  for (const s of specs) {
    const common = { name: s.name, help: s.help, labelNames: s.labelNames, registers: [registry] };
    if (s.kind === 'histogram') {
      const h = new Histogram({ ...common, buckets: s.bounds ?? [] });
      for (const [labels, observations] of s.series) for (const v of observations) h.labels(...labels).observe(v);
      made.push(h);
    } else if (s.kind === 'counter') {
      const c = new Counter(common);
      for (const [labels, [value = 0]] of s.series) c.labels(...labels).inc(value);
      made.push(c);
    } else {
      const g = new Gauge(common);
      for (const [labels, [value = 0]] of s.series) g.labels(...labels).set(value);
      made.push(g);
    }
  }
  return made;
}

describe('cell family exposition', () => {
  it('is built on prom-client 15 (the registry interface families.ts duck-types; re-check it on a new major)', () => {
    const version = (createRequire(import.meta.url)('prom-client/package.json') as { version: string }).version;
    expect(version).toMatch(/^15\./);
  });

  it('writes the Prometheus text prom-client writes for the same values, byte for byte', async () => {
    const a = new Registry();
    ours(SPECS, a);
    const b = new Registry();
    theirs(SPECS, b);
    const text = await a.metrics();
    expect(text).toContain('test_requests_total{route="/api/x\\"y\\\\z\\nw",code="200"} 3');
    expect(text).toContain('test_duration_seconds_bucket{le="+Inf",route="/a",method="GET"} 7');
    expect(text).toBe(await b.metrics());
  });

  it('writes the OpenMetrics text prom-client writes in an OpenMetrics registry', async () => {
    const a = new Registry();
    ours(SPECS, a);
    const b = openMetricsRegistry();
    theirs(SPECS, b);
    const om = await scrape(a, OPENMETRICS_ACCEPT);
    expect(om.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(om.body).toContain('# TYPE test_requests counter\n');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toBe(await b.metrics());
  });

  it('keeps the Prometheus names after an OpenMetrics scrape (prom-client would rename its counters in place)', async () => {
    const a = new Registry();
    ours(SPECS, a);
    const before = await scrape(a, undefined);
    await scrape(a, OPENMETRICS_ACCEPT);
    const after = await scrape(a, 'text/plain');
    expect(after.contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(after.body).toBe(before.body);
    expect(after.body).toContain('# TYPE test_requests_total counter\n');
  });

  it('drops a removed series and every series on reset, as prom-client does', async () => {
    const a = new Registry();
    ours(SPECS, a);
    const b = new Registry();
    const [requests] = theirs(SPECS, b);
    (a.getSingleMetric('test_requests_total') as unknown as CounterFamily<string>).remove('/api/b', '502');
    (requests as Counter).remove('/api/b', '502');
    expect(await a.metrics()).not.toContain('route="/api/b"');
    expect(await a.metrics()).toBe(await b.metrics());
    a.resetMetrics();
    b.resetMetrics();
    expect(await a.metrics()).toBe(await b.metrics());
  });

  it('matches prom-client for every cell family the proxy defines (names, help, labels, buckets)', async () => {
    const a = new Registry();
    const metrics = createMetrics(a, { defaultMetrics: false });
    const specs: Spec[] = [];
    for (const family of Object.values(metrics)) {
      if (!(family instanceof CounterFamily || family instanceof GaugeFamily || family instanceof HistogramFamily)) continue;
      const labelNames = [...family.labelNames];
      const labels = (n: number) => labelNames.map((name) => `${name}-${n}`);
      specs.push(family instanceof HistogramFamily
        ? { kind: 'histogram', name: family.name, help: family.help, labelNames, bounds: [...family.bounds], series: [[labels(1), [0.003, 0.7, 12, 1e6]], [labels(2), [0.05]]] }
        : { kind: family.type, name: family.name, help: family.help, labelNames, series: [[labels(1), [7]], [labels(2), [0.5]]] });
    }
    expect(specs.map((s) => s.name)).toEqual(expect.arrayContaining(['cassia_proxy_requests_total', 'cassia_proxy_request_duration_seconds', 'cassia_proxy_streams_active']));
    const ourRegistry = new Registry();
    ours(specs, ourRegistry);
    const theirRegistry = new Registry();
    theirs(specs, theirRegistry);
    expect(await ourRegistry.metrics()).toBe(await theirRegistry.metrics());
    const theirOpenMetrics = openMetricsRegistry();
    theirs(specs, theirOpenMetrics);
    expect((await scrape(ourRegistry, OPENMETRICS_ACCEPT)).body).toBe(await theirOpenMetrics.metrics());
  });
});

describe('content negotiation', () => {
  it.each([
    [undefined, false],
    ['*/*', false],
    ['text/plain;version=0.0.4', false],
    [OPENMETRICS_ACCEPT, true],
    ['application/openmetrics-text; version=1.0.0', true],
  ])('Accept %j → OpenMetrics %s', (accept, openMetrics) => {
    expect(wantsOpenMetrics(accept)).toBe(openMetrics);
  });

  it('names the content types prom-client names', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(OPENMETRICS_CONTENT_TYPE).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
  });
});

describe('toOpenMetrics', () => {
  const text = [
    '# HELP cassia_proxy_requests_total Requests.',
    '# TYPE cassia_proxy_requests_total counter',
    'cassia_proxy_requests_total{code="200"} 3',
    '',
    '# HELP cassia_proxy_streams_active Streams.',
    '# TYPE cassia_proxy_streams_active gauge',
    'cassia_proxy_streams_active 1',
    '',
  ].join('\n');

  it('renames counter families, keeps samples, drops blank lines and ends with # EOF', () => {
    expect(toOpenMetrics(text)).toBe([
      '# HELP cassia_proxy_requests Requests.',
      '# TYPE cassia_proxy_requests counter',
      'cassia_proxy_requests_total{code="200"} 3',
      '# HELP cassia_proxy_streams_active Streams.',
      '# TYPE cassia_proxy_streams_active gauge',
      'cassia_proxy_streams_active 1',
      '# EOF',
      '',
    ].join('\n'));
  });
});
