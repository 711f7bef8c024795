/** Admin endpoints, reload and graceful shutdown of the real proxy. */
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Registry } from 'prom-client';
import { startProxy } from '../../src/main.js';
import type { Config } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, closedPort, httpServer, tcpServer } from '../helpers/servers.js';
import { find, parseMetrics, scrape } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

describe('admin endpoints', () => {
  it('serves healthz, readyz (with the insecure-TLS warning), Prometheus text and OpenMetrics', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const proxy = await startProxy(testConfig(up.url, { upstreamInsecure: true }), { log: capturedLogger().log });
    defer(() => proxy.close());
    expect(await (await fetch(`${proxy.adminUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${proxy.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { warnings: string[] }).warnings[0]).toMatch(/verification is off/);
    const prom = await fetch(`${proxy.adminUrl}/metrics`);
    expect(prom.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await prom.text());
    expect(find(samples, 'cassia_proxy_upstream_tls_insecure')[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_process_cpu_seconds_total').length).toBe(1);
    expect(find(samples, 'cassia_proxy_log_lines_dropped_total')[0]?.value).toBe(0);
    const om = await fetch(`${proxy.adminUrl}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    const omText = await om.text();
    expect(omText.endsWith('# EOF\n')).toBe(true);
    expect(omText).toContain('# TYPE cassia_proxy_config_reloads counter');
    // A later Prometheus-format scrape still has the _total names.
    expect(await (await fetch(`${proxy.adminUrl}/metrics`)).text()).toContain('# TYPE cassia_proxy_config_reloads_total counter');
  });
});

describe('reload', () => {
  it('applies a good config and keeps the running one when the next is bad', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const gw = 'CC:1B:E0:E0:00:01';
    const configs: Array<Config | Error> = [
      testConfig(up.url, { transport: { gateways: { [gw]: { transport: 'mqtt' } } } }),
      new Error('config.yaml: transport.default: "carrier-pigeon" is not one of capwap, mqtt, unknown'),
    ];
    const { log, lines } = capturedLogger();
    const proxy = await startProxy(testConfig(up.url, { transport: { gateways: { [gw]: { transport: 'capwap' } } } }), {
      log,
      reloadConfig: async () => {
        const next = configs.shift();
        if (next instanceof Error) throw next;
        if (!next) throw new Error('no more configs');
        return next;
      },
    });
    defer(() => proxy.close());
    const call = async (): Promise<void> => (await request(`${proxy.proxyUrl}/api/cassia/info?mac=${gw}`)).body.dump();
    await call();
    const good = await fetch(`${proxy.adminUrl}/-/reload`, { method: 'POST' });
    expect(good.status).toBe(200);
    await call();
    const bad = await fetch(`${proxy.adminUrl}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/carrier-pigeon/);
    await call();
    const samples = await scrape(proxy.adminUrl);
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: gw, transport: 'capwap' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: gw, transport: 'mqtt' })[0]?.value).toBe(2);
    expect(find(samples, 'cassia_proxy_config_reloads_total', { result: 'success' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_config_reloads_total', { result: 'failure' })[0]?.value).toBe(1);
    expect(lines.some((l) => l.includes('keeping the running configuration'))).toBe(true);
  });
});

describe('reload to another upstream', () => {
  it('sends new requests to the new AC while a stream on the old one keeps flowing', async () => {
    let oldStream: import('node:http').ServerResponse | undefined;
    const oldAc = track(await httpServer((req, res) => {
      if (req.url?.startsWith('/api/gatt/nodes?')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"seqNum":1}\n\n');
        oldStream = res;
        return;
      }
      res.end('old');
    }));
    const newAc = track(await httpServer((_req, res) => res.end('new')));
    let next = testConfig(oldAc.url);
    const proxy = await startProxy(next, { log: capturedLogger().log, reloadConfig: async () => next });
    defer(() => proxy.close());
    const stream = await request(`${proxy.proxyUrl}/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01`);
    const streamText = stream.body.text();
    expect(await (await request(`${proxy.proxyUrl}/api/cassia/hubs`)).body.text()).toBe('old');
    next = testConfig(newAc.url);
    expect((await proxy.reload()).ok).toBe(true);
    expect(await (await request(`${proxy.proxyUrl}/api/cassia/hubs`)).body.text()).toBe('new');
    oldStream?.end('data: {"seqNum":2}\n\n');
    expect(await streamText).toBe('data: {"seqNum":1}\n\ndata: {"seqNum":2}\n\n');
  });
});

describe('graceful shutdown', () => {
  it('ends streams with end="shutdown", lets an in-flight request finish, then refuses', async () => {
    // The slow answer is held until the test releases it, once shutdown has visibly begun.
    let held: { end(body: string): void } | undefined;
    const up = track(await httpServer((req, res) => {
      if (req.url?.startsWith('/api/gatt/nodes?')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(':keep-alive\n\n');
        return;
      }
      held = res;
    }));
    const registry = new Registry();
    const proxy = await startProxy(testConfig(up.url, { timeouts: { shutdown: 3000 } }), { log: capturedLogger().log, registry });
    const stream = await request(`${proxy.proxyUrl}/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01`);
    const streamText = stream.body.text();
    const slow = request(`${proxy.proxyUrl}/api/cassia/hubs`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
    await until(() => held !== undefined, 10_000, 'the slow request at the upstream');
    const closing = proxy.close();
    expect(await streamText).toBe(':keep-alive\n\n');
    held?.end('slow but complete');
    expect(await slow).toEqual({ status: 200, body: 'slow but complete' });
    await closing;
    const samples = parseMetrics(await registry.metrics());
    expect(find(samples, 'cassia_proxy_streams_total', { stream: 'notification', end: 'shutdown' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_requests_total', { route: '/api/cassia/hubs', code: '200', reason: 'response' })[0]?.value).toBe(1);
    await expect(fetch(`${proxy.proxyUrl}/api/cassia/hubs`)).rejects.toThrow();
  });
});

describe('a start that fails', () => {
  it('regression: a busy admin port no longer leaves the proxy listener forwarding without metrics', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const busy = track(await tcpServer(() => undefined));
    const listenPort = await closedPort();
    const config = testConfig(up.url, { listen: { host: '127.0.0.1', port: listenPort }, admin: { host: '127.0.0.1', port: busy.port } });
    await expect(startProxy(config, { log: capturedLogger().log }))
      .rejects.toThrow(`cannot listen on 127.0.0.1:${busy.port} (admin, --admin-listen, ADMIN_LISTEN): the address is already in use`);
    // The proxy listener it had opened is closed again: its port can be taken at once.
    const again = createNetServer();
    again.listen(listenPort, '127.0.0.1');
    await once(again, 'listening');
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('a busy proxy port fails before the admin server opens, naming listen', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const busy = track(await tcpServer(() => undefined));
    const adminPort = await closedPort();
    const config = testConfig(up.url, { listen: { host: '127.0.0.1', port: busy.port }, admin: { host: '127.0.0.1', port: adminPort } });
    await expect(startProxy(config, { log: capturedLogger().log })).rejects.toThrow(`cannot listen on 127.0.0.1:${busy.port} (listen, --listen, PROXY_LISTEN)`);
    await expect(fetch(`http://127.0.0.1:${adminPort}/healthz`)).rejects.toThrow();
  });
});
