// The loss alert end to end: the simulator drops a quarter of CAPWAP events, the proxy counts
// the gaps, Prometheus evaluates alerts.yml (test-sized windows), Alertmanager notifies, and a
// loopback webhook receives CassiaProxyEventLossHigh naming transport capwap, not mqtt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binaryStatus,
  startAlertmanager,
  startWebhookSink,
  waitFor,
  type RunningAlertmanager,
  type WebhookPayload,
} from '../helpers/prometheus.js';
import { startObservedStack, tempDir, writeTestSizedRules, type ObservedStack } from './observed-stack.js';

const status = binaryStatus('prometheus', 'alertmanager');

describe.runIf(status.mustFail)('alerting end to end (binaries missing under CI)', () => {
  it('fails because prometheus and alertmanager are required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('alerting end to end', () => {
  let stack: ObservedStack | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  let sink: Awaited<ReturnType<typeof startWebhookSink>> | undefined;
  let temp: Awaited<ReturnType<typeof tempDir>> | undefined;

  beforeAll(async () => {
    temp = await tempDir();
    const rules = await writeTestSizedRules(temp.dir);
    sink = await startWebhookSink();
    alertmanager = await startAlertmanager({ webhookUrl: sink.url });
    stack = await startObservedStack({ ruleFiles: [rules], alertmanager: alertmanager.address });
  }, 40_000);

  afterAll(async () => {
    await stack?.close();
    await alertmanager?.stop();
    await sink?.close();
    await temp?.remove();
  });

  it('delivers the CAPWAP event-loss alert to the webhook', async () => {
    const received = (sink as { received: WebhookPayload[] }).received;
    const lossAlerts = () =>
      received.flatMap((p) => p.alerts).filter((a) => a.labels.alertname === 'CassiaProxyEventLossHigh' && a.status === 'firing');
    await waitFor(async () => (lossAlerts().length > 0 ? true : undefined), 45_000, 'CassiaProxyEventLossHigh at the webhook').catch(
      async (err: Error) => {
        const firing = await stack?.prometheus.alerts();
        throw new Error(`${err.message}\nPrometheus alerts: ${JSON.stringify(firing)}`);
      },
    );
    const alerts = lossAlerts();
    expect(alerts.map((a) => a.labels.transport)).toContain('capwap');
    expect(alerts.map((a) => a.labels.transport)).not.toContain('mqtt');
    const capwap = alerts.find((a) => a.labels.transport === 'capwap');
    expect(capwap?.labels).toMatchObject({ severity: 'warning', job: 'cassia-ac-proxy' });
    expect(capwap?.annotations.summary).toMatch(/^\d+(\.\d+)?% of capwap events lost$/);
  }, 50_000);
});
