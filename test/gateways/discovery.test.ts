import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcToken } from '../../src/gateways/ac-token.js';
import { createHubPoller } from '../../src/gateways/discovery.js';
import { createUpstream } from '../../src/proxy/upstream.js';
import { gatewayStack } from '../helpers/gateways.js';
import { testConfig } from '../streams/helpers.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('hub poller', () => {
  it('fetches a token with Basic credentials, refetches after a 403, and learns the hub list', async () => {
    const seen: string[] = [];
    let tokens = 0;
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/api/oauth2/token') {
        tokens++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token_type: 'bearer', access_token: `t${tokens}`, expires_in: 3600 }));
      } else if (req.headers.authorization === 'Bearer t1' && tokens === 1 && seen.length > 2) {
        res.statusCode = 403;
        res.end('{"error":"forbidden"}');
      } else {
        res.end(JSON.stringify([{ mac: 'CC:1B:E0:E0:00:07', name: 'dock', model: 'X2000', version: '2.0.3', status: 'online' }]));
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const base = testConfig();
    const config = {
      ...base,
      upstream: new URL(`http://127.0.0.1:${port}`),
      discovery: { enabled: true, interval: 3_600_000, key: 'k', secret: 's' },
    };
    const gatewayState = gatewayStack(config).state;
    const log = pino({ level: 'silent' });
    const upstream = createUpstream(config, log);
    const target = { dispatcher: upstream.pool, origin: upstream.origin, basePath: upstream.basePath, key: upstream.key };
    const poller = createHubPoller({ config, token: createAcToken(config, target), gatewayState, log });
    await poller.poll(); // token t1 + hub list (alongside the initial poll)
    await poller.poll(); // 403 → token dropped
    await poller.poll(); // token t2 + hub list
    await poller.close();
    await upstream.pool.close();
    expect(seen[0]).toBe(`POST /api/oauth2/token Basic ${Buffer.from('k:s').toString('base64')}`);
    expect(seen.filter((s) => s.startsWith('GET /api/cassia/hubs Bearer t2')).length).toBeGreaterThan(0);
    expect(tokens).toBeGreaterThanOrEqual(2);
    expect(gatewayState.snapshot().find((g) => g.mac === 'CC:1B:E0:E0:00:07')).toMatchObject({ name: 'dock', online: true });
  });

  it('is inert when discovery is off', async () => {
    const config = testConfig();
    const gatewayState = gatewayStack(config).state;
    const poller = createHubPoller({ config, token: null, gatewayState, log: pino({ level: 'silent' }) });
    await poller.poll();
    await poller.close();
    expect(gatewayState.snapshot().length).toBe(2); // only the configured gateways
  });
});
