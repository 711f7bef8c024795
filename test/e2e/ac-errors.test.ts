/**
 * What the AC said, against the simulator's ground truth: with gateway-side errors frequent and
 * faults on, a client connecting, reading, writing and batch-connecting on every gateway, and a
 * gateway rebooting, `ac_errors_total` per gateway and word equals the simulator's error answers
 * by text (and so do the access log and `/api/gateways`). A token expiring mid-run makes the
 * storm alert's expression fire in a promtool case built from the scraped series. Streams past a
 * gateway's limit are answered `no resources`, the gauge shows the ones that opened.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parse } from 'yaml';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { GatewayReport } from '../../src/report/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { simGatewayMap, simToken } from '../helpers/fault-run.js';
import { scrape, total, type Sample } from '../helpers/metrics.js';
import { binaryStatus, findTool } from '../helpers/prometheus.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();
const UNKNOWN_GATEWAY = 'CC:1B:E0:E0:99:99';

/** The simulator's texts and the words they must become: written here, not taken from the proxy. */
const WORD_OF_TEXT: Record<string, string> = {
  'chip is busy': 'chip_busy',
  'no resources': 'no_resources',
  'device not found': 'device_not_found',
  'device not connect': 'device_not_connected',
  'operation timeout': 'operation_timeout',
  'connect failed': 'connect_failed',
  'parameter invalid': 'parameter_invalid',
  'hub not found': 'hub_not_found',
  'gateway offline': 'gateway_offline',
  'Token not found or expired': 'token_expired',
  '502 Bad Gateway': 'other',
  '504 Gateway Time-out': 'other',
  'Not Found': 'other',
};

/** The truth's error texts of one gateway as words. */
function truthWords(errors: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [text, n] of Object.entries(errors)) {
    const word = WORD_OF_TEXT[text];
    if (word === undefined) throw new Error(`the simulator answered a text this test does not know: ${JSON.stringify(text)}`);
    out[word] = (out[word] ?? 0) + n;
  }
  return out;
}

/** `ac_errors_total` of one gateway label by word, summed over routes. */
function proxyWords(samples: Sample[], gateway: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== 'cassia_proxy_ac_errors_total' || s.labels.gateway !== gateway || s.value === 0) continue;
    const word = s.labels.error ?? '';
    out[word] = (out[word] ?? 0) + s.value;
  }
  return out;
}

async function call(url: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: string } = {}): Promise<number> {
  const res = await request(url, { method: init.method ?? 'GET', body: init.body, headers: init.body ? { 'content-type': 'application/json' } : {} });
  await res.body.dump();
  return res.statusCode;
}

/** Device MACs near `gateway`, from its scan stream through the proxy. */
async function devicesOf(proxy: RunningProxy, gateway: string, token: string, count: number): Promise<string[]> {
  const scan = await openSse(`${proxy.proxyUrl}/api/gap/nodes?event=1&mac=${gateway}&access_token=${token}`);
  expect(scan.status).toBe(200);
  const macs = (): string[] => [...new Set(scan.events.map((e) => (JSON.parse(e) as { bdaddrs: Array<{ bdaddr: string }> }).bdaddrs[0]?.bdaddr ?? ''))];
  await until(() => macs().length >= count, 10_000, `${count} devices scanned on ${gateway}`);
  scan.close();
  await scan.done;
  return macs().slice(0, count);
}

/** Connects, reads, writes, disconnects and batch-connects on one gateway, with the calls that fail on purpose. */
async function workload(proxy: RunningProxy, gateway: string, token: string, devices: string[]): Promise<void> {
  const at = (path: string): string => `${proxy.proxyUrl}/api${path}${path.includes('?') ? '&' : '?'}mac=${gateway}&access_token=${token}`;
  for (const [i, device] of devices.entries()) {
    // Every other connect with a 200 ms timeout: connects take 50–400 ms, so some time out.
    await call(at(`/gap/nodes/${device}/connection`), { method: 'POST', body: JSON.stringify({ type: 'random', timeout: i % 2 === 0 ? 200 : 20000 }) });
    await call(at(`/gatt/nodes/${device}/handle/36/value`));
    await call(at(`/gatt/nodes/${device}/handle/39/value/01`));
    await call(at(`/gatt/nodes/${device}/handle/39/value/0`));
  }
  for (const device of devices) await call(at(`/gap/nodes/${device}/connection`), { method: 'DELETE' });
  await call(at('/gatt/nodes/C0:00:00:00:00:99/handle/36/value'));
  await call(at('/gap/batch-connect'), { method: 'POST', body: JSON.stringify({ list: devices.map((addr) => ({ type: 'random', addr })), timeout: 1000 }) });
  await call(at('/gap/batch-connect'), { method: 'POST', body: JSON.stringify({ timeout: 10 }) });
  await call(`${proxy.proxyUrl}/api/cassia/info?mac=${gateway}&access_token=expired-or-never-issued`);
}

describe('what the AC said, against the simulator', () => {
  it('ac_errors_total per gateway and word equals the simulator\'s error answers by text', async () => {
    const sim = await createSimulator({
      gateways: 4, capwap: 2, devicesPerGateway: 6, connectedPerGateway: 0, seed: 11, maxConnectionsPerGateway: 3, rebootMs: 300,
      scanIntervalMs: 30, tickMs: 20,
      profile: {
        profile: 'clean',
        transports: {
          capwap: { gatewayErrors: 0.25, http502: 0.05, http504: 0.03, http504DelayMs: 5, connectMinMs: 50, connectMaxMs: 400 },
          mqtt: { gatewayErrors: 0.25, connectMinMs: 50, connectMaxMs: 400 },
        },
      },
    });
    defer(() => sim.close());
    const { log, lines } = capturedLogger('info');
    const proxy = await startProxy(testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) } }), { log });
    defer(() => proxy.close());
    const token = await simToken(proxy, sim);

    const devices = await Promise.all(sim.gateways.map((g) => devicesOf(proxy, g, token, 6)));
    await Promise.all(sim.gateways.map((g, i) => workload(proxy, g, token, devices[i] ?? [])));
    // A gateway rebooting: calls naming it while it is away get 502 `gateway offline`.
    const rebooting = sim.gateways[0] as string;
    expect(await call(`${proxy.proxyUrl}/api/cassia/reboot?mac=${rebooting}&access_token=${token}`, { method: 'POST' })).toBe(200);
    const statuses: number[] = [];
    await until(async () => {
      statuses.push(await call(`${proxy.proxyUrl}/api/cassia/info?mac=${rebooting}&access_token=${token}`));
      return statuses.includes(502) && statuses.at(-1) === 200;
    }, 10_000, 'the gateway away and back');
    // Calls naming a gateway the AC does not know: counted under `other`, as every unknown MAC.
    for (let i = 0; i < 5; i++) expect(await call(`${proxy.proxyUrl}/api/gap/nodes?mac=${UNKNOWN_GATEWAY}&access_token=${token}`)).toBe(500);
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_in_flight') === 0, 5000, 'nothing in flight');

    const truth = sim.truth();
    const samples = await scrape(proxy.adminUrl);
    const gateways = ((await (await request(`${proxy.adminUrl}/api/gateways`)).body.json()) as { gateways: GatewayReport[] }).gateways;
    const logged = lines.map((l) => JSON.parse(l) as { gateway?: string; acError?: string; route?: string }).filter((l) => l.route !== undefined);
    const seen = new Set<string>();
    for (const gateway of sim.gateways) {
      const expected = truthWords(truth.gateways[gateway]?.errors ?? {});
      expect(proxyWords(samples, gateway), gateway).toEqual(expected);
      // The same words in the access log and the report, from the same exchanges.
      const inLog: Record<string, number> = {};
      for (const l of logged) if (l.gateway === gateway && l.acError !== undefined) inLog[l.acError] = (inLog[l.acError] ?? 0) + 1;
      expect(inLog, `${gateway} access log`).toEqual(expected);
      const reported: Record<string, number> = gateways.find((g) => g.gateway === gateway)?.sinceStart.acErrors ?? {};
      expect(Object.fromEntries(Object.entries(reported).filter(([, n]) => n > 0)), `${gateway} /api/gateways`).toEqual(expected);
      // Every error answer of the gateway is counted once: the words add up to its answers >= 400.
      const errorAnswers = samples.filter((s) => s.name === 'cassia_proxy_gateway_requests_total' && s.labels.gateway === gateway && Number(s.labels.code) >= 400)
        .reduce((n, s) => n + s.value, 0);
      expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(errorAnswers);
      for (const word of Object.keys(expected)) seen.add(word);
    }
    expect(proxyWords(samples, 'other')).toEqual({ hub_not_found: 5 });
    // The run said every word the simulator can say on these calls.
    expect([...seen].sort()).toEqual(['chip_busy', 'connect_failed', 'device_not_connected', 'device_not_found', 'gateway_offline', 'no_resources',
      'operation_timeout', 'other', 'parameter_invalid', 'token_expired']);
    // The report compares each word between the transports and says whose doing it is.
    const report = (await (await request(`${proxy.adminUrl}/api/report`)).body.json()) as { acErrors: Array<{ error: string; cause: string; transports: Array<{ transport: string; rate: { count: number } }> }> };
    const busy = report.acErrors.find((c) => c.error === 'chip_busy');
    expect(busy?.cause).toBe('application');
    const capwap = sim.gateways.filter((g) => truth.gateways[g]?.transport === 'capwap');
    expect(busy?.transports.find((t) => t.transport === 'capwap')?.rate.count).toBe(capwap.reduce((n, g) => n + (proxyWords(samples, g).chip_busy ?? 0), 0));
  }, 30_000);

  it('streams past a gateway\'s limit get no resources; the gauge holds the ones that opened', async () => {
    const open = async (sim: Simulator, proxy: RunningProxy, token: string, n: number): Promise<SseCapture[]> => {
      const gateway = sim.gateways[0] as string;
      const paths = ['/api/gap/nodes?event=1', '/api/gatt/nodes?event=1', '/api/management/nodes/connection-state?x=1', '/api/gap/rssi?x=1'];
      const streams: SseCapture[] = [];
      for (let i = 0; i < n; i++) {
        const s = await openSse(`${proxy.proxyUrl}${paths[i % paths.length]}&mac=${gateway}&access_token=${token}`);
        defer(() => s.close());
        streams.push(s);
      }
      return streams;
    };
    const gauge = (samples: Sample[], gateway: string): number => total(samples, 'cassia_proxy_gateway_streams_active', { gateway });

    // A gateway taking 20 streams: of 25 opened, the 21st to 25th are answered 500 `no resources`.
    const sim = await createSimulator({ gateways: 1, profile: 'clean', maxStreamsPerGateway: 20 });
    defer(() => sim.close());
    const proxy = await startProxy(testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => proxy.close());
    const gateway = sim.gateways[0] as string;
    const streams = await open(sim, proxy, await simToken(proxy, sim), 25);
    expect(streams.map((s) => s.status)).toEqual([...Array<number>(20).fill(200), ...Array<number>(5).fill(500)]);
    const refused = streams.slice(20);
    await Promise.all(refused.map((s) => s.done));
    expect(refused.map((s) => s.raw().toString())).toEqual(Array<string>(5).fill('no resources'));
    await until(async () => proxyWords(await scrape(proxy.adminUrl), gateway).no_resources === 5, 5000, 'five no_resources answers counted');
    const samples = await scrape(proxy.adminUrl);
    expect(gauge(samples, gateway)).toBe(20);
    expect(proxyWords(samples, gateway)).toEqual(truthWords(sim.truth().gateways[gateway]?.errors ?? {}));

    // A gateway taking 25 (the simulator's default): 25 open, 25 in the gauge, then none once closed.
    const roomy = await createSimulator({ gateways: 1, profile: 'clean' });
    defer(() => roomy.close());
    const second = await startProxy(testConfig(roomy.url, { transport: { gateways: simGatewayMap(roomy) }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => second.close());
    const all = await open(roomy, second, await simToken(second, roomy), 25);
    expect(all.every((s) => s.status === 200)).toBe(true);
    expect(gauge(await scrape(second.adminUrl), gateway)).toBe(25);
    for (const s of all) s.close();
    await until(async () => gauge(await scrape(second.adminUrl), gateway) === 0, 5000, 'the gauge back to 0');
  }, 30_000);
});

const promtool = binaryStatus('promtool');

describe.skipIf(promtool.skip)('a token that expires mid-run', () => {
  it('turns into token_expired answers, and the storm alert\'s expression fires on those series in promtool', async () => {
    if (promtool.mustFail) expect.fail(`missing: ${promtool.missing.join(', ')}`);
    const sim = await createSimulator({ gateways: 2, profile: 'clean', tokenTtlSeconds: 2 });
    defer(() => sim.close());
    const proxy = await startProxy(testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => proxy.close());
    // As Cassia's samples do: one token at start, never refreshed.
    const token = await simToken(proxy, sim);
    const kept = (s: Sample): boolean =>
      (s.name === 'cassia_proxy_ac_errors_total' && s.labels.error === 'token_expired') ||
      (s.name === 'cassia_proxy_requests_total' && s.labels.origin === 'upstream');
    const scrapes: Sample[][] = [];
    let firstExpired = -1;
    // Rounds of calls, each followed by a scrape, until 30 scrapes into the storm.
    await until(async () => {
      for (const gateway of sim.gateways) {
        const status = await call(`${proxy.proxyUrl}/api/cassia/info?mac=${gateway}&access_token=${token}`);
        if (status === 403 && firstExpired < 0) firstExpired = scrapes.length;
      }
      scrapes.push((await scrape(proxy.adminUrl)).filter(kept));
      return firstExpired >= 0 && scrapes.length - firstExpired >= 30;
    }, 20_000, 'thirty scrapes after the token expired');
    expect(firstExpired, 'scrapes before the token expired').toBeGreaterThan(0);
    const samples = scrapes.at(-1) ?? [];
    const expired = sim.gateways.reduce((n, g) => n + (sim.truth().gateways[g]?.errors['Token not found or expired'] ?? 0), 0);
    expect(total(samples, 'cassia_proxy_ac_errors_total')).toBe(expired);

    // Every scraped series, one sample per scrape; the storm spans at least 7 minutes of promtool time.
    const storm = scrapes.length - firstExpired;
    const step = Math.ceil(420 / storm);
    const key = (s: Sample): string => `${s.name}{${Object.entries({ ...s.labels, job: 'cassia-ac-proxy', instance: 'proxy:9464' })
      .map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const series = new Map<string, Array<number | null>>();
    scrapes.forEach((list, i) => {
      for (const s of list) {
        const values = series.get(key(s)) ?? Array<number | null>(scrapes.length).fill(null);
        values[i] = s.value;
        series.set(key(s), values);
      }
    });
    const dir = fileURLToPath(new URL('../../prometheus/', import.meta.url));
    const rules = parse(await readFile(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
    const expr = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'CassiaProxyTokenStorm')?.expr;
    expect(expr).toBeDefined();
    const tmp = await mkdtemp(join(tmpdir(), 'token-storm-'));
    defer(() => rm(tmp, { recursive: true, force: true }));
    const file = join(tmp, 'token-storm.test.yml');
    await writeFile(file, JSON.stringify({
      rule_files: [],
      evaluation_interval: `${step}s`,
      tests: [{
        interval: `${step}s`,
        input_series: [...series].map(([name, values]) => ({ series: name, values: values.map((v) => (v === null ? '_' : String(v))).join(' ') })),
        promql_expr_test: [
          { expr: `count(${expr})`, eval_time: `${(firstExpired - 1) * step}s`, exp_samples: [] },
          { expr: `count(${expr})`, eval_time: `${(scrapes.length - 1) * step}s`, exp_samples: [{ labels: '{}', value: 1 }] },
        ],
      }],
    }));
    const run = promisify(execFile);
    const out = await run(findTool('promtool') as string, ['test', 'rules', file], { timeout: 50_000 }).then(
      (r) => r.stdout + r.stderr, (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`);
    expect(out).not.toMatch(/FAILED/);
    expect(out).toMatch(/SUCCESS/);
  }, 30_000);
});
