// The text and Markdown renderings of a fleet report, over the realistic fixture the status page
// is tested with: every section, aligned columns, the figures as the JSON has them, and names
// from the AC escaped (Markdown) or stripped of control characters (terminal).
import { describe, expect, it } from 'vitest';
import type { FleetPlan, FleetReport } from '../../src/fleet/collect.js';
import { humanDuration } from '../../src/fleet/args.js';
import { mdCell, planLine, renderMarkdown, renderText } from '../../src/fleet/format.js';
import { COUNTER_FAMILIES } from '../../src/fleet/queries.js';
import { MOVED, realisticReport } from '../report/fixture.js';

const none = Object.fromEntries(Object.keys(COUNTER_FAMILIES).map((name) => [name, []])) as unknown as FleetReport['counts']['range'];
const NO_COUNTS: FleetReport['counts'] = { range: none, window: none };
const PLAN: FleetPlan = { activity: 'recording rules', activityResolutionSeconds: 60, rulesSince: null, restartedProxies: 0, changedGateways: 0, minuteQueries: 0, minuteSeconds: [], queries: 40 };

function fleet(rename?: (name: string) => string, plan: FleetPlan = PLAN): FleetReport {
  const { report } = realisticReport();
  const r = report.report();
  const gateways = report.gateways();
  if (rename) {
    for (const g of gateways) if (g.name !== null) g.name = rename(g.name);
    for (const x of r.recommendations) if (x.name !== null) x.name = rename(x.name);
  }
  return { report: r, gateways, proxies: 3, source: { prometheus: 'https://mimir.example.com/prometheus', selector: '{namespace="iot"}', rangeSeconds: 86_400 }, plan, counts: NO_COUNTS };
}

describe('text', () => {
  const f = fleet();
  const text = renderText(f);
  const lines = text.split('\n');

  it('has a header naming the source and every section', () => {
    expect(lines[0]).toBe('cassia-ac-proxy fleet report');
    expect(lines[1]).toBe('Prometheus https://mimir.example.com/prometheus · selector {namespace="iot"} · 3 proxy instances');
    expect(lines[2]).toMatch(/^range 24h: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC → /);
    expect(lines[3]).toBe('activity times: recording rules, 1m resolution');
    for (const title of ['Transports, last 24h', 'Should CAPWAP gateways move to MQTT?', 'Transport changes: before → after', 'What the AC said, last 24h', 'Gateways, last 24h, worst 502/504 rate first', 'Method']) {
      const at = lines.indexOf(title);
      expect(at, title).toBeGreaterThan(0);
      expect(lines[at + 1]).toBe('-'.repeat(title.length));
    }
  });

  it('one row per transport, recommendation, change and active gateway, with the JSON figures', () => {
    const capwap = f.report.transports.find((t) => t.transport === 'capwap')?.sinceStart;
    const row = lines.find((l) => l.startsWith('capwap '));
    expect(row).toContain(`(${capwap?.errors.count.toLocaleString('en-US')} / ${capwap?.errors.total.toLocaleString('en-US')})`);
    for (const r of f.report.recommendations) {
      expect(lines.filter((l) => l.startsWith(`${r.gateway} `) && l.includes(r.verdict.replaceAll('_', ' '))), r.gateway).toHaveLength(1);
    }
    expect(lines.some((l) => l.startsWith(MOVED) && /capwap → mqtt\s+\d{4}-\d\d-\d\d .*improved/.test(l))).toBe(true);
    const active = f.gateways.filter((g) => g.sinceStart.requests > 0 || g.sinceStart.events > 0);
    const start = lines.indexOf('Gateways, last 24h, worst 502/504 rate first') + 3;
    expect(lines.slice(start, start + active.length).map((l) => l.split(' ')[0]).sort()).toEqual(active.map((g) => g.gateway).sort());
  });

  it('one row per word the AC said, with whose doing it is and its share on each transport', () => {
    const start = lines.indexOf('What the AC said, last 24h') + 4;
    const words = f.report.acErrors ?? [];
    expect(words.length).toBeGreaterThan(0);
    for (const [i, c] of words.entries()) {
      const row = lines[start + i] ?? '';
      expect(row.startsWith(`${c.error} `), row).toBe(true);
      expect(row).toContain(` ${c.cause} `);
      const capwap = c.transports.find((t) => t.transport === 'capwap')?.rate;
      expect(row).toContain(`(${capwap?.count.toLocaleString('en-US')} / ${capwap?.total.toLocaleString('en-US')})`);
    }
  });

  it('aligns columns: numbers end where their heading ends', () => {
    const start = lines.indexOf('Transports, last 24h') + 2;
    const header = lines[start] ?? '';
    const rows = lines.slice(start + 1, start + 1 + f.report.transports.length);
    expect(rows).toHaveLength(f.report.transports.length);
    for (const heading of ['requests', 'events']) {
      const end = header.indexOf(` ${heading} `) + heading.length + 1;
      for (const row of rows) expect(row.slice(end - 1, end + 1), `${heading} in ${row}`).toMatch(/^\d $/);
    }
  });

  it('never passes control characters from a gateway name to the terminal', () => {
    const out = renderText(fleet((n) => `${n}\u001b[31m\u0007`));
    const controls = [...out].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f));
    expect(controls).toEqual([]);
  });
});

describe('markdown', () => {
  const f = fleet((n) => (n === 'Warehouse North' ? 'North | *bold* <img src=x>' : n));
  const md = renderMarkdown(f);

  it('headings and one table per section, numeric columns right-aligned', () => {
    expect(md.split('\n')[0]).toBe('# cassia-ac-proxy fleet report');
    expect(md).toContain('## Should CAPWAP gateways move to MQTT?');
    expect(md).toMatch(/^\| transport \| gateways \| requests \|.*\|\n\|---\|---:\|---:\|/m);
    const rows = md.split('\n').filter((l) => l.startsWith('| CC:'));
    // Every table row has as many cells as its header.
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBeGreaterThanOrEqual(9);
  });

  it('escapes a name from the AC so it cannot break the table or inject HTML', () => {
    expect(md).toContain('North \\| \\*bold\\* &lt;img src=x>');
    expect(md).not.toContain('<img');
    expect(mdCell('a|b_c<d')).toBe('a\\|b\\_c&lt;d');
  });
});

describe('durations', () => {
  it.each([[86_400, '24h'], [172_800, '2d'], [3600 * 6, '6h'], [5400, '90m'], [45, '45s'], [604_800, '7d'], [90, '90s']])('%i s → %s', (s, text) => {
    expect(humanDuration(s)).toBe(text);
  });
});

describe('where the activity times came from', () => {
  it.each<[Partial<FleetPlan>, string]>([
    [{}, 'activity times: recording rules, 1m resolution'],
    [{ activity: 'raw series', activityResolutionSeconds: 87 }, 'activity times: raw series (no recording rules of prometheus/fleet-rules.yml found), 87s resolution'],
    [{ activity: 'raw series', activityResolutionSeconds: 3600, rulesSince: Date.parse('2026-12-06T10:00:00Z') },
      'activity times: raw series (the recording rules run only since 2026-12-06 10:00:00 UTC), 1h resolution'],
    [{ restartedProxies: 2 }, 'activity times: recording rules, 1m resolution · 2 proxies restarted, started or stopped within the range, counted process by process'],
    [{ changedGateways: 1, minuteQueries: 1, minuteSeconds: [60] }, 'activity times: recording rules, 1m resolution · 1 gateway changed transport: before/after minutes of 1m from 1 query'],
    [{ changedGateways: 40, minuteQueries: 7, minuteSeconds: [60, 240] }, 'activity times: recording rules, 1m resolution · 40 gateways changed transport: before/after minutes of 1m–4m from 7 queries'],
  ])('%j', (plan, line) => {
    expect(planLine(fleet(undefined, { ...PLAN, ...plan }))).toBe(line);
  });
});
