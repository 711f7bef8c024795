/** `GET /__sim/requests` (digests of tagged requests' bodies and answers) and the HTTPS listener. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import { createSimulator, type RequestRecord } from '../../src/simulator/index.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { createTestCas, type TestCas } from '../helpers/certs.js';
import { BASIC } from './helpers.js';

const { defer } = cleanupAfterEach();
const digest = (s: string): { bytes: number; sha256: string } => ({ bytes: Buffer.byteLength(s), sha256: createHash('sha256').update(s).digest('hex') });

let certs: TestCas;
beforeAll(() => {
  certs = createTestCas('sim');
}, 30_000);
afterAll(() => certs?.remove());

describe('request records', () => {
  it('records method, path, the body as read and the answer of tagged requests only', async () => {
    const sim = await createSimulator({ gateways: 1, profile: 'clean' });
    defer(() => sim.close());
    const form = 'grant_type=client_credentials';
    const res = await request(`${sim.url}/api/oauth2/token`, {
      method: 'POST', body: form,
      headers: { authorization: BASIC(), 'content-type': 'application/x-www-form-urlencoded', 'x-sim-request-id': 'tok' },
    });
    const answer = await res.body.text();
    const token = (JSON.parse(answer) as { access_token: string }).access_token;
    // A call whose handler never reads the body: no request digest; an untagged call: no record.
    const gw = sim.gateways[0] as string;
    const info = await request(`${sim.url}/api/cassia/info?mac=${gw}&access_token=${token}`, { headers: { 'x-sim-request-id': 'info' } });
    const infoBody = await info.body.text();
    await (await request(`${sim.url}/api/cassia/hubs?access_token=${token}`)).body.dump();
    const records = ((await (await request(`${sim.url}/__sim/requests`)).body.json()) as { requests: Record<string, RequestRecord> }).requests;
    expect(records).toEqual({
      tok: { method: 'POST', path: '/api/oauth2/token', requestBody: digest(form), status: 200, responseBody: digest(answer) },
      info: { method: 'GET', path: '/api/cassia/info', requestBody: null, status: 200, responseBody: digest(infoBody) },
    });
  });

  it('serves HTTPS with the given key and certificate', async () => {
    const ca = certs.cas.sim as NonNullable<TestCas['cas'][string]>;
    const sim = await createSimulator({ gateways: 1, profile: 'clean', tls: { key: ca.key, cert: ca.cert } });
    defer(() => sim.close());
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = new Agent({ connect: { ca: ca.ca } });
    defer(() => agent.close());
    const res = await request(`${sim.url}/__sim/truth`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(((await res.body.json()) as { gateways: object }).gateways)).toEqual(sim.gateways);
    // Without the CA the certificate does not verify.
    await expect(request(`${sim.url}/__sim/truth`)).rejects.toThrow();
  });
});
