import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { AcTokenError, acTokenKey, createAcToken } from '../../src/gateways/ac-token.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { httpServer } from '../helpers/servers.js';
import { testConfig } from '../streams/helpers.js';

const cleanup = cleanupAfterEach();

/** A token endpoint that counts its calls and answers `expires_in` seconds (or `status`). */
async function tokenEndpoint(expiresIn: number, status = 200) {
  const calls: string[] = [];
  const server = cleanup.track(await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(status === 200 ? JSON.stringify({ token_type: 'bearer', access_token: `t${calls.length}`, expires_in: expiresIn }) : '{"error":"invalid_client"}');
    });
  }));
  const pool = new Pool(server.url);
  cleanup.defer(() => pool.destroy());
  const target = { dispatcher: pool, origin: server.url, basePath: '', key: 'k' };
  const config = { ...testConfig(), upstream: new URL(server.url), discovery: { enabled: false, interval: 60_000, key: 'id', secret: 'pw' } };
  return { calls, target, config };
}

describe('the proxy\'s own AC token', () => {
  it('is fetched once with Basic credentials and a client_credentials form, shared by concurrent callers', async () => {
    const { calls, target, config } = await tokenEndpoint(3600);
    const token = createAcToken(config, target);
    const got = await Promise.all([token?.get(), token?.get(), token?.get()]);
    expect(got).toEqual(['t1', 't1', 't1']);
    expect(calls).toEqual([`POST /api/oauth2/token Basic ${Buffer.from('id:pw').toString('base64')} grant_type=client_credentials`]);
  });

  it.each<[string, number, number, number]>([
    // expires_in (s), ms later, fetches: refreshed a minute before expiry, or at half its life when that is later.
    ['an hour-long token, 58 min later', 3600, 58 * 60_000, 1],
    ['an hour-long token, 59 min later', 3600, 59 * 60_000, 2],
    ['a 5 s token, 2.4 s later', 5, 2400, 1],
    ['a 5 s token, 2.5 s later', 5, 2500, 2],
  ])('is refreshed before it expires: %s', async (_name, ttl, later, fetches) => {
    const { calls, target, config } = await tokenEndpoint(ttl);
    const clock = { t: 1_000_000 };
    const token = createAcToken(config, target, () => clock.t);
    await token?.get();
    clock.t += later;
    await token?.get();
    expect(calls).toHaveLength(fetches);
  });

  it('is fetched anew after invalidate(), but not when another caller already replaced it', async () => {
    const { calls, target, config } = await tokenEndpoint(3600);
    const token = createAcToken(config, target);
    const first = await token?.get();
    token?.invalidate(first ?? '');
    expect(await token?.get()).toBe('t2');
    token?.invalidate(first ?? ''); // a late 403 for the old token
    expect(await token?.get()).toBe('t2');
    expect(calls).toHaveLength(2);
  });

  it('rejects with AC_TOKEN_REFUSED and the status when the AC refuses the credentials, and tries again next time', async () => {
    const { calls, target, config } = await tokenEndpoint(3600, 401);
    const token = createAcToken(config, target);
    await expect(token?.get()).rejects.toMatchObject({ code: 'AC_TOKEN_REFUSED', status: 401 });
    await expect(token?.get()).rejects.toBeInstanceOf(AcTokenError);
    expect(calls).toHaveLength(2);
  });

  it('is absent without credentials, and its key hides the secret', async () => {
    const { target, config } = await tokenEndpoint(3600);
    expect(createAcToken({ ...config, discovery: { ...config.discovery, key: null, secret: null } }, target)).toBeNull();
    expect(createAcToken(config, null)).toBeNull();
    const key = acTokenKey(config, target);
    expect(key).not.toContain('pw');
    expect(acTokenKey({ ...config, discovery: { ...config.discovery, secret: 'other' } }, target)).not.toBe(key);
  });
});
