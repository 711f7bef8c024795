/** cassia_proxy_requests_in_flight: exchanges forwarded and not finished, event streams included, back to 0 when they end. */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ServerResponse } from 'node:http';
import { startProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { scrape, total } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { openSse } from '../helpers/sse-client.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

describe('requests in flight', () => {
  it('counts a pending request and an open stream, and returns to 0', async () => {
    const pending: ServerResponse[] = [];
    const up = track(await httpServer((req, res) => {
      if (req.url?.startsWith('/api/gap/nodes')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"n":1}\n\n');
        return;
      }
      pending.push(res); // answered later by the test
    }));
    const proxy = await startProxy(testConfig(up.url), { log: capturedLogger().log });
    defer(() => proxy.close());
    const inFlight = async (): Promise<number> => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_in_flight');
    expect(await inFlight()).toBe(0);

    const slow = request(`${proxy.proxyUrl}/api/cassia/hubs`);
    await until(() => pending.length === 1, 3000, 'the upstream to hold the request');
    expect(await inFlight()).toBe(1);
    const stream = await openSse(`${proxy.proxyUrl}/api/gap/nodes?event=1`);
    await until(() => stream.events.length === 1, 3000, 'the first event');
    expect(await inFlight()).toBe(2);

    pending[0]?.end('[]');
    await (await slow).body.dump();
    await until(async () => (await inFlight()) === 1, 3000, 'the answered request to leave');
    stream.close();
    await stream.done;
    await until(async () => (await inFlight()) === 0, 3000, 'the closed stream to leave');
  });
});
