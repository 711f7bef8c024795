/**
 * The proxy must never be the cause of a failure: when stream analysis throws (on open, on a
 * chunk, on close), every byte still reaches the client, and the fault is logged and counted.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { buildGeneration } from '../../src/generation.js';
import { createCountsFactory } from '../../src/gateways/counts.js';
import { createGatewayState } from '../../src/gateways/state.js';
import { createMetrics, Registry } from '../../src/metrics/metrics.js';
import { createExchangeRecorder } from '../../src/proxy/recorder.js';
import { createReport } from '../../src/report/report.js';
import { createProxyServer } from '../../src/proxy/server.js';
import type { TapFactory } from '../../src/proxy/taps.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { find, parseMetrics } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

const EVENTS = Array.from({ length: 20 }, (_, i) => `data: {"id":"AA:BB:CC:DD:EE:01","handle":3,"value":"00","seqNum":${i + 1}}\n\n`).join('');

describe.each<[string, TapFactory]>([
  ['throws when opened', () => { throw new Error('analysis exploded on open'); }],
  ['throws on the first chunk', () => ({ write() { throw new Error('analysis exploded on write'); }, close() {} })],
  ['throws on close', () => ({ write() {}, close() { throw new Error('analysis exploded on close'); } })],
])('a stream tap that %s', (_name, openTap) => {
  it('does not disturb the stream; the fault is logged and counted once', async () => {
    const up = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(EVENTS.slice(0, 500));
      // The rest a little later: the stream arrives in two chunks.
      setTimeout(() => res.end(EVENTS.slice(500)), 30);
    });
    defer(() => up.close());
    const config = testConfig(up.url);
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    const { logger, log, lines } = capturedLogger();
    // The proxy's own parts, wired as startProxy wires them, with the failing tap in place of the analyser.
    const state = createGatewayState({ metrics, onOverflow: () => undefined });
    const report = createReport({ gatewaySnapshot: () => [] });
    const generation = buildGeneration(config, { state, counts: createCountsFactory(metrics, report.segments), log: logger }, null);
    state.activate(generation.directory, config);
    const recorder = createExchangeRecorder({ metrics, log: logger, writeLine: log.lineBytes });
    const proxy = await createProxyServer({ listen: config.listen, generation: () => generation, metrics, recorder, log: logger, openTap });
    defer(async () => {
      await proxy.close(1000);
      await generation.poller.close();
      await generation.upstream.pool.destroy();
      state.close();
    });

    const res = await request(`${proxy.url}/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01&sequence=2`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(EVENTS);
    // The exchange is recorded once it is over: its analysis fault, if any, was counted before.
    const count = async (name: string, labels: Record<string, string>): Promise<number> =>
      find(parseMetrics(await registry.metrics()), name, labels)[0]?.value ?? 0;
    await until(async () => await count('cassia_proxy_requests_total', { code: '200', reason: 'response' }) >= 1
      && await count('cassia_proxy_analysis_errors_total', { component: 'stream_tap' }) >= 1, 10_000, 'the exchange and its analysis fault counted');
    const samples = parseMetrics(await registry.metrics());
    expect(find(samples, 'cassia_proxy_analysis_errors_total', { component: 'stream_tap' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_requests_total', { code: '200', reason: 'response' })[0]?.value).toBe(1);
    expect(lines.filter((l) => l.includes('analysis exploded'))).toHaveLength(1);
  });
});
