// promtool checks the shipped rules, config and unit tests; a failure anywhere fails here.
// Also holds alerts.yml to the project's own standard: every alert has severity, summary,
// description, and a promtool test case that makes it fire and one that keeps it quiet.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createMetrics } from '../../src/metrics/metrics.js';
import { binaryStatus, findTool } from '../helpers/prometheus.js';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../prometheus/', import.meta.url));
const status = binaryStatus('promtool');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}

async function loadYaml<T>(file: string): Promise<T> {
  return parse(await readFile(`${dir}${file}`, 'utf8')) as T;
}

interface RuleTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests: Array<{ interval?: string; alert_rule_test?: AlertTest[]; promql_expr_test?: Array<{ eval_time: string }> }>;
}

/** Every promtool rule-test file under prometheus/, split by time scale (alerts*.test.yml). */
async function ruleTestFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.test.yml')).sort();
}

/** A Prometheus duration (`3d6h`, `90s`, `1m`) in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * (units[unit as string] as number);
  return total;
}

async function promtool(...args: string[]): Promise<string> {
  const bin = findTool('promtool') as string;
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: dir, timeout: 50_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

describe.runIf(status.mustFail)('promtool (missing under CI)', () => {
  it('fails because promtool is required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('promtool', () => {
  it('check rules accepts alerts.yml and fleet-rules.yml', async () => {
    expect(await promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(await promtool('check', 'rules', 'fleet-rules.yml')).toMatch(/SUCCESS: 7 rules found/);
  });

  it('check config accepts prometheus.yml (and the rule files it names)', async () => {
    expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/is valid prometheus config file/);
  });

  it('test rules passes every case in every prometheus/*.test.yml', async () => {
    const files = await ruleTestFiles();
    expect(files).toEqual(expect.arrayContaining(['alerts.test.yml', 'fleet-rules.test.yml']));
    const out = await promtool('test', 'rules', ...files);
    expect(out).not.toMatch(/FAILED/);
    expect(out.match(/SUCCESS/g)?.length, out).toBe(files.length);
  }, 120_000);
});

describe('fleet-rules.yml', () => {
  it('records the series the report reads, under the names it reads', async () => {
    const { ACTIVITY_RULES, RULES_INTERVAL_SECONDS } = await import('../../src/fleet/activity.js');
    const groups = (await loadYaml<{ groups: Array<{ interval: string; rules: Rule[] }> }>('fleet-rules.yml')).groups;
    const records = groups.flatMap((g) => g.rules.map((r) => r.record));
    for (const name of Object.values(ACTIVITY_RULES)) expect(records, name).toContain(name);
    // The "grew since the previous evaluation" offsets are the group's interval.
    for (const g of groups) {
      expect(seconds(g.interval)).toBe(RULES_INTERVAL_SECONDS);
      for (const r of g.rules) for (const [, d] of r.expr.matchAll(/offset (\w+)/g)) expect(seconds(d as string), r.record).toBe(RULES_INTERVAL_SECONDS);
    }
  });
});

describe('alerts.yml conventions', () => {
  it('every alert has a severity, a summary and a description', async () => {
    const rules = (await loadYaml<{ groups: Array<{ rules: Rule[] }> }>('alerts.yml')).groups.flatMap((g) => g.rules);
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary, alert.alert).toBeTruthy();
      expect(alert.annotations?.description, alert.alert).toBeTruthy();
    }
  });

  it('every alert has an absolute runbook_url (one base for all, an anchor of docs/operations.md) and its relative runbook', async () => {
    const rules = (await loadYaml<{ groups: Array<{ rules: Rule[] }> }>('alerts.yml')).groups.flatMap((g) => g.rules);
    const doc = await readFile(`${dir}../docs/operations.md`, 'utf8');
    const bases = new Set<string>();
    for (const alert of rules.filter((r) => r.alert)) {
      const url = alert.annotations?.runbook_url ?? '';
      const match = /^(https?:\/\/[^\s#]+)#(\w+)$/.exec(url);
      expect(match, `${alert.alert}: runbook_url "${url}" should be <absolute base>#<anchor>`).not.toBeNull();
      bases.add(match?.[1] ?? '');
      expect(doc, `${alert.alert} runbook #${match?.[2]}`).toContain(`<a id="${match?.[2]}"></a>`);
      // The relative `runbook` annotation of earlier releases stays: templates may still read it.
      expect(alert.annotations?.runbook, `${alert.alert}: runbook`).toBe(`docs/operations.md#${match?.[2]}`);
    }
    expect([...bases], 'one runbook base for every alert (npm run prometheus-rule -- --runbook-base URL sets it)').toHaveLength(1);
    expect([...bases][0]).toMatch(/\/docs\/operations\.md$/);
  });

  it('the PrometheusRule of deploy/kubernetes/operator/ holds exactly the groups of alerts.yml and fleet-rules.yml', async () => {
    const alerts = await loadYaml<{ groups: unknown[] }>('alerts.yml');
    const fleet = await loadYaml<{ groups: unknown[] }>('fleet-rules.yml');
    const rule = parse(await readFile(`${dir}../deploy/kubernetes/operator/prometheusrule.yaml`, 'utf8')) as { kind: string; spec: { groups: unknown[] } };
    const hint = 'deploy/kubernetes/operator/prometheusrule.yaml is generated from prometheus/alerts.yml and fleet-rules.yml: run `npm run prometheus-rule`';
    expect(rule.kind).toBe('PrometheusRule');
    // The alerts, and the recording rules the fleet report reads at scale.
    expect(rule.spec.groups, hint).toEqual([...alerts.groups, ...fleet.groups]);
    // Byte for byte too (comments, layout), as the generator writes it.
    const check = await run(process.execPath, [`${dir}../scripts/prometheus-rule.mjs`, '--check']).then(() => '', (err: { stderr?: string }) => err.stderr ?? 'failed');
    expect(check, hint).toBe('');
  });

  it('the SLO is defined once and every burn-rate alert uses it', async () => {
    const text = await readFile(`${dir}alerts.yml`, 'utf8');
    const rules = (parse(text) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.record === 'cassia_proxy:slo_error_budget:ratio')).toHaveLength(1);
    const burn = rules.filter((r) => r.alert?.startsWith('CassiaProxyErrorBudgetBurn'));
    expect(burn.map((r) => r.labels?.burn_rate).sort()).toEqual(['1', '14.4', '6']);
    for (const rule of burn) expect(rule.expr, rule.alert).toContain('cassia_proxy:slo_error_budget:ratio');
  });

  it('uses only metrics the proxy exports (recording-rule names aside), in alerts.yml and fleet-rules.yml', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const rules = [
      ...(await loadYaml<{ groups: Array<{ rules: Rule[] }> }>('alerts.yml')).groups.flatMap((g) => g.rules),
      ...(await loadYaml<{ groups: Array<{ rules: Rule[] }> }>('fleet-rules.yml')).groups.flatMap((g) => g.rules),
    ];
    let checked = 0;
    for (const rule of rules) {
      // A recording rule name (level:metric:ops) contains "cassia_proxy_..." after a colon: skip those.
      for (const [name] of rule.expr.matchAll(/(?<![\w:])cassia_proxy_\w+/g)) {
        expect(exported.has(name), `${name} in ${rule.alert ?? rule.record}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('every alert has a firing and a not-firing promtool case', async () => {
    const rules = (await loadYaml<{ groups: Array<{ rules: Rule[] }> }>('alerts.yml')).groups.flatMap((g) => g.rules);
    const tests: AlertTest[] = [];
    for (const file of await ruleTestFiles()) {
      tests.push(...(await loadYaml<RuleTestFile>(file)).tests.flatMap((t) => t.alert_rule_test ?? []));
    }
    for (const name of rules.flatMap((r) => (r.alert ? [r.alert] : []))) {
      const cases = tests.filter((t) => t.alertname === name);
      expect(cases.some((t) => (t.exp_alerts ?? []).length > 0), `${name} firing case`).toBe(true);
      expect(cases.some((t) => (t.exp_alerts ?? []).length === 0), `${name} not-firing case`).toBe(true);
    }
  });

  // promtool evaluates every rule at every step of a file's evaluation interval up to its latest
  // eval_time: a day-scale case in a 1m file costs thousands of steps of all rules. Keep each file
  // at one time scale, and the recording rules evaluated before the alerts that read them.
  it('every rule-test file stays within 600 evaluation steps and fixes the group order', async () => {
    for (const file of await ruleTestFiles()) {
      const doc = await loadYaml<RuleTestFile>(file);
      const groups: string[] = [];
      for (const rules of doc.rule_files) groups.push(...(await loadYaml<{ groups: Array<{ name: string }> }>(rules)).groups.map((g) => g.name));
      const step = seconds(doc.evaluation_interval ?? '1m');
      const times = doc.tests.flatMap((t) => [...(t.alert_rule_test ?? []), ...(t.promql_expr_test ?? [])]);
      const latest = Math.max(...times.map((t) => seconds((t as { eval_time: string }).eval_time)));
      expect(latest / step, `${file}: ${latest}s at ${step}s steps`).toBeLessThanOrEqual(600);
      expect(doc.group_eval_order, file).toEqual(groups);
    }
  });
});
