/**
 * The truth's `errors`: every error answer to a call naming a gateway, by its text, exactly as
 * the client received it — text bodies as sent, the token answer by its description, injected
 * 502/504 pages by their title — and nothing for calls naming no gateway.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { simulateMain } from '../../src/simulator/cli.js';
import { getToken, openStream } from './helpers.js';
import { until } from '../helpers/until.js';

let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

/** The text a client would name an error answer by: the truth's own rule, applied to what arrived. */
async function answerText(res: Response): Promise<string> {
  const body = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('application/json')) {
    const json = JSON.parse(body) as { error?: string; error_description?: string };
    return json.error_description ?? json.error ?? body;
  }
  if (type.startsWith('text/html')) return /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? body;
  return body;
}

describe('simulator truth: errors by text', () => {
  it('counts each error answer naming a gateway under the text the client received', async () => {
    sim = await createSimulator({
      gateways: 2, capwap: 1, devicesPerGateway: 4, connectedPerGateway: 1, seed: 3,
      profile: { profile: 'clean', transports: { capwap: { http502: 0.2, http504: 0.1, http504DelayMs: 1, gatewayErrors: 0.5 } } },
    });
    const token = await getToken(sim.url);
    const seen: Record<string, Record<string, number>> = {};
    const call = async (gateway: string, path: string, t = token): Promise<void> => {
      const res = await fetch(`${sim?.url}/api${path}${path.includes('?') ? '&' : '?'}mac=${gateway}&access_token=${t}`);
      if (res.status < 400) return void (await res.arrayBuffer());
      const text = await answerText(res);
      const g = (seen[gateway] ??= {});
      g[text] = (g[text] ?? 0) + 1;
    };
    for (const gateway of sim.gateways) {
      for (let i = 0; i < 30; i++) {
        await call(gateway, '/gatt/nodes/C0:00:00:00:00:99/handle/36/value'); // device not found
        await call(gateway, '/gap/nodes?connection_state=disconnected'); // parameter invalid
        await call(gateway, '/cassia/info'); // 200, or faults on CAPWAP
      }
      await call(gateway, '/cassia/info', 'not-a-token'); // 403
    }
    // Calls naming no gateway, or one the AC does not know, count under no gateway.
    expect((await fetch(`${sim.url}/api/gap/nodes?mac=CC:1B:E0:E0:99:99&access_token=${token}`)).status).toBe(500);
    expect((await fetch(`${sim.url}/api/gap/nodes?access_token=${token}`)).status).toBe(500);

    const truth = sim.truth();
    const errors = Object.fromEntries(sim.gateways.map((g) => [g, truth.gateways[g]?.errors]));
    expect(errors).toEqual(seen);
    const [capwap, mqtt] = sim.gateways as [string, string];
    // The run did produce what it claims: faults and gateway-side texts on CAPWAP, the token answer on both.
    expect(Object.keys(seen[capwap] ?? {})).toEqual(expect.arrayContaining(['502 Bad Gateway', '504 Gateway Time-out', 'device not found', 'Token not found or expired']));
    expect(seen[mqtt]).toEqual({ 'device not found': 30, 'parameter invalid': 30, 'Token not found or expired': 1 });
    // Every error answer of a gateway is one of its requests.
    for (const g of sim.gateways) {
      const gt = truth.gateways[g];
      const sum = Object.values(gt?.errors ?? {}).reduce((a, b) => a + b, 0);
      expect(sum).toBeLessThanOrEqual(gt?.requests.total ?? 0);
    }
  });
});

describe('simulate --max-streams-per-gateway', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } };
  }

  it('refuses a limit of 0', async () => {
    const c = io();
    expect(await simulateMain(['--listen', '127.0.0.1:0', '--max-streams-per-gateway', '0'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/maxStreamsPerGateway/);
  });

  it('answers a gateway\'s streams past the limit 500 no resources, counted in the truth', async () => {
    const c = io();
    const abort = new AbortController();
    const done = simulateMain(['--listen', '127.0.0.1:0', '--gateways', '1', '--profile', 'clean', '--max-streams-per-gateway', '2'], { ...c.io, signal: abort.signal });
    const listening = (): string | undefined => /listening on (http:\/\/\S+)/.exec(c.out.join(''))?.[1];
    await until(() => listening() !== undefined, 10_000, 'the listening line');
    const url = listening() ?? '';
    const token = await getToken(url);
    const gateway = 'CC:1B:E0:E0:00:01';
    const streams = [
      await openStream(`${url}/api/gap/nodes?event=1&mac=${gateway}&access_token=${token}`),
      await openStream(`${url}/api/gatt/nodes?mac=${gateway}&access_token=${token}`),
    ];
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    const third = await fetch(`${url}/api/management/nodes/connection-state?mac=${gateway}&access_token=${token}`);
    expect([third.status, await third.text()]).toEqual([500, 'no resources']);
    const truth = (await (await fetch(`${url}/__sim/truth`)).json()) as { gateways: Record<string, { errors: Record<string, number> }> };
    expect(truth.gateways[gateway]?.errors).toEqual({ 'no resources': 1 });
    for (const s of streams) s.close();
    abort.abort();
    expect(await done).toBe(0);
  });
});
