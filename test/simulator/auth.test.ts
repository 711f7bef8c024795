import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { BASIC } from './helpers.js';
import { until } from '../helpers/until.js';

describe('simulator OAuth', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await createSimulator({ gateways: 1, devicesPerGateway: 3, tokenTtlSeconds: 0.4, profile: 'clean', key: 'k1', secret: 's1' });
  });
  afterAll(() => sim.close());

  const token = (body: string, type: string, auth = BASIC('k1', 's1')) =>
    fetch(`${sim.url}/api/oauth2/token`, { method: 'POST', headers: { authorization: auth, 'content-type': type }, body });

  it.each([
    ['form', 'grant_type=client_credentials', 'application/x-www-form-urlencoded'],
    ['JSON', '{"grant_type":"client_credentials"}', 'application/json'],
  ])('issues a bearer token for a %s body', async (_name, body, type) => {
    const res = await token(body, type);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ token_type: 'bearer', expires_in: 1 });
    expect(answer.access_token).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses wrong credentials and a missing grant type', async () => {
    expect((await token('grant_type=client_credentials', 'application/x-www-form-urlencoded', BASIC('k1', 'nope'))).status).toBe(401);
    expect((await token('{}', 'application/json')).status).toBe(400);
  });

  it('accepts the token as Bearer header or access_token query, then expires it with the documented 403', async () => {
    const issuing = Date.now();
    const { access_token: t } = (await (await token('grant_type=client_credentials', 'application/x-www-form-urlencoded')).json()) as { access_token: string };
    expect((await fetch(`${sim.url}/api/cassia/hubs`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
    expect((await fetch(`${sim.url}/api/cassia/hubs?access_token=${t}`)).status).toBe(200);
    let expired: Response | undefined;
    await until(async () => {
      expired = await fetch(`${sim.url}/api/cassia/hubs`, { headers: { authorization: `Bearer ${t}` } });
      if (expired.status === 200) await expired.arrayBuffer();
      return expired.status !== 200;
    }, 10_000, 'the token to expire');
    // Not before its 0.4 s lifetime (a little slack for clock granularity).
    expect(Date.now() - issuing).toBeGreaterThanOrEqual(380);
    if (!expired) throw new Error('no answer');
    expect(expired.status).toBe(403);
    expect(await expired.json()).toEqual({ error: 'forbidden', error_description: 'Token not found or expired' });
  });

  it('answers an unknown or missing token with 403', async () => {
    expect((await fetch(`${sim.url}/api/cassia/hubs?access_token=deadbeef`)).status).toBe(403);
    const res = await fetch(`${sim.url}/api/gap/nodes?event=1&mac=${sim.gateways[0]}`);
    expect(res.status).toBe(403);
    expect(sim.truth().gateways[sim.gateways[0] ?? '']?.requests.total).toBe(1);
  });
});
