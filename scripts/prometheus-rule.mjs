// Writes deploy/kubernetes/operator/prometheusrule.yaml from prometheus/alerts.yml: the same
// groups, comments and all, in a Prometheus Operator PrometheusRule. alerts.yml is the one
// source; run this after every change to it (test/prometheus/rules.test.ts fails until then):
//
//   npm run prometheus-rule                       regenerate the PrometheusRule
//   npm run prometheus-rule -- --check            exit 1 if it is out of date (writes nothing)
//   npm run prometheus-rule -- --runbook-base URL point every alert's runbook_url at URL#<anchor>
//                                                 (alerts.yml and its promtool tests), then regenerate
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

const root = join(import.meta.dirname, '..');
const ALERTS = 'prometheus/alerts.yml';
const RULE = 'deploy/kubernetes/operator/prometheusrule.yaml';
/** A runbook_url value: the base, `#`, the anchor in docs/operations.md. */
const RUNBOOK_URL = /(runbook_url:\s*["']?)[^\s"'#]+#/g;

/** The PrometheusRule for the text of alerts.yml. */
export function prometheusRule(alertsText) {
  const alerts = YAML.parseDocument(alertsText);
  if (alerts.errors.length > 0) throw new Error(`${ALERTS}: ${alerts.errors[0].message}`);
  const rule = new YAML.Document({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'cassia-ac-proxy',
      labels: { 'app.kubernetes.io/name': 'cassia-ac-proxy', release: 'kube-prometheus-stack' },
    },
    spec: {},
  });
  rule.commentBefore = [
    ` Generated from ${ALERTS} by \`npm run prometheus-rule\`: edit that file, not this one.`,
    ' The Prometheus Operator loads it when its labels match your Prometheus\' ruleSelector',
    ' (kube-prometheus-stack: release: <its release name>).',
  ].join('\n');
  rule.get('metadata', true).get('labels', true).get('release', true).comment = ' match your Prometheus\' ruleSelector';
  rule.setIn(['spec', 'groups'], alerts.get('groups', true));
  return rule.toString({ lineWidth: 0 });
}

/** `text` with every runbook_url pointing at `base`#anchor. */
export function rebaseRunbooks(text, base) {
  return text.replace(RUNBOOK_URL, (_all, key) => `${key}${base}#`);
}

function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, 'runbook-base': { type: 'string' } } });
  const base = values['runbook-base'];
  if (base !== undefined) {
    if (!/^https?:\/\/[^\s#]+$/.test(base)) throw new Error(`--runbook-base: expected an absolute http(s) URL without #, got ${JSON.stringify(base)}`);
    const files = [ALERTS, ...readdirSync(join(root, 'prometheus')).filter((f) => f.endsWith('.test.yml')).map((f) => `prometheus/${f}`)];
    for (const file of files) writeFileSync(join(root, file), rebaseRunbooks(readFileSync(join(root, file), 'utf8'), base));
    console.log(`runbook_url now ${base}#<anchor> in ${files.join(', ')}`);
  }
  const expected = prometheusRule(readFileSync(join(root, ALERTS), 'utf8'));
  if (values.check) {
    let current = '';
    try { current = readFileSync(join(root, RULE), 'utf8'); } catch { /* missing: out of date */ }
    if (current !== expected) {
      console.error(`${RULE} is out of date with ${ALERTS}: run \`npm run prometheus-rule\``);
      process.exit(1);
    }
    return;
  }
  writeFileSync(join(root, RULE), expected);
  console.log(`wrote ${RULE} from ${ALERTS}`);
}

if (process.argv[1] === import.meta.filename) main();
