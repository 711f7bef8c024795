// The Prometheus/Alertmanager harness works against the real binaries: Prometheus scrapes
// itself, answers queries, evaluates rules and sends an alert through Alertmanager to a
// loopback webhook.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binaryStatus,
  startAlertmanager,
  startPrometheus,
  startWebhookSink,
  waitFor,
  type RunningAlertmanager,
  type RunningPrometheus,
} from '../helpers/prometheus.js';

const status = binaryStatus('prometheus', 'alertmanager');

describe.runIf(status.mustFail)('prometheus harness (binaries missing under CI)', () => {
  it('fails because the binaries are required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

const RULES = `groups:
  - name: self
    rules:
      - alert: HarnessSelfScraped
        expr: up{job="self"} == 1
        labels: { severity: info }
        annotations: { summary: "scraped {{ $labels.instance }}" }
      - alert: HarnessNeverFires
        expr: up{job="self"} == 0
        labels: { severity: info }
`;

describe.skipIf(status.skip || status.mustFail)('prometheus harness', () => {
  let prometheus: RunningPrometheus | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  let sink: Awaited<ReturnType<typeof startWebhookSink>> | undefined;
  let ruleDir: string | undefined;

  beforeAll(async () => {
    sink = await startWebhookSink();
    alertmanager = await startAlertmanager({ webhookUrl: sink.url });
    ruleDir = await mkdtemp(join(tmpdir(), 'cassia-rules-'));
    const ruleFile = join(ruleDir, 'self.yml');
    await writeFile(ruleFile, RULES);
    prometheus = await startPrometheus({
      scrape: [],
      scrapeSelfAs: 'self',
      ruleFiles: [ruleFile],
      alertmanager: alertmanager.address,
    });
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await sink?.close();
    if (ruleDir) await rm(ruleDir, { recursive: true, force: true });
  });

  it('scrapes its own /metrics and answers a query about them', async () => {
    const running = prometheus as RunningPrometheus;
    const host = new URL(running.url).host;
    const samples = await waitFor(
      async () => {
        const result = await running.query('prometheus_build_info{job="self"}');
        return result.length > 0 ? result : undefined;
      },
      15_000,
      'prometheus_build_info from a scrape',
    );
    expect(samples[0]?.metric.instance).toBe(host);
    expect(samples[0]?.value).toBe(1);
    expect(await running.targets()).toEqual([expect.objectContaining({ job: 'self', health: 'up' })]);
    // Prometheus' synthetic per-scrape series exist only for targets it really scraped.
    const scraped = await running.query('scrape_samples_scraped{job="self"}');
    expect(scraped[0]?.value).toBeGreaterThan(0);
  });

  it('reports a parse error for a bad expression', async () => {
    await expect((prometheus as RunningPrometheus).query('rate(up[')).rejects.toThrow(/bad_data/);
  });

  it('evaluates rules and delivers the firing alert through Alertmanager to the webhook', async () => {
    const running = prometheus as RunningPrometheus;
    const alerts = await waitFor(
      async () => {
        const list = await running.alerts();
        return list.some((a) => a.state === 'firing') ? list : undefined;
      },
      15_000,
      'HarnessSelfScraped firing',
    );
    expect(alerts.map((a) => a.labels.alertname)).toEqual(['HarnessSelfScraped']);
    const payload = await waitFor(
      async () => sink?.received.find((p) => p.alerts.some((a) => a.labels.alertname === 'HarnessSelfScraped')),
      20_000,
      'webhook delivery',
    );
    const alert = payload.alerts.find((a) => a.labels.alertname === 'HarnessSelfScraped');
    expect(alert?.status).toBe('firing');
    expect(alert?.annotations.summary).toBe(`scraped ${new URL(running.url).host}`);
    expect(sink?.received.flatMap((p) => p.alerts).some((a) => a.labels.alertname === 'HarnessNeverFires')).toBe(false);
  }, 45_000);
});
