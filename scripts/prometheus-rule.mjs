// Writes deploy/kubernetes/operator/prometheusrule.yaml from prometheus/alerts.yml and
// prometheus/fleet-rules.yml: the same groups, comments and all, in a Prometheus Operator
// PrometheusRule. Those files are the one source; run this after every change to them
// (test/prometheus/rules.test.ts fails until then):
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
/** The recording rules `cassia-ac-proxy report` reads at scale: in the same PrometheusRule. */
const FLEET_RULES = 'prometheus/fleet-rules.yml';
const RULE = 'deploy/kubernetes/operator/prometheusrule.yaml';
/** A runbook_url value: the base, `#`, the anchor in docs/operations.md. */
const RUNBOOK_URL = /(runbook_url:\s*["']?)[^\s"'#]+#/g;

/** The PrometheusRule for the texts of alerts.yml and fleet-rules.yml: their groups, in that order. */
export function prometheusRule(alertsText, fleetRulesText) {
  const parsed = [[ALERTS, alertsText], [FLEET_RULES, fleetRulesText]].map(([file, text]) => {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc;
  });
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
    ` Generated from ${ALERTS} and ${FLEET_RULES} by \`npm run prometheus-rule\`: edit those, not this one.`,
    ' The Prometheus Operator loads it when its labels match your Prometheus\' ruleSelector',
    ' (kube-prometheus-stack: release: <its release name>).',
  ].join('\n');
  rule.get('metadata', true).get('labels', true).get('release', true).comment = ' match your Prometheus\' ruleSelector';
  const groups = parsed[0].get('groups', true);
  for (const group of parsed[1].get('groups', true).items) groups.items.push(group);
  rule.setIn(['spec', 'groups'], groups);
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
  const expected = prometheusRule(readFileSync(join(root, ALERTS), 'utf8'), readFileSync(join(root, FLEET_RULES), 'utf8'));
  if (values.check) {
    let current = '';
    try { current = readFileSync(join(root, RULE), 'utf8'); } catch { /* missing: out of date */ }
    if (current !== expected) {
      console.error(`${RULE} is out of date with ${ALERTS} and ${FLEET_RULES}: run \`npm run prometheus-rule\``);
      process.exit(1);
    }
    return;
  }
  writeFileSync(join(root, RULE), expected);
  console.log(`wrote ${RULE} from ${ALERTS} and ${FLEET_RULES}`);
}

if (process.argv[1] === import.meta.filename) main();
