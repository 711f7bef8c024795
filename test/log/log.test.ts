import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferedDestination, cachedIsoTime, createAccessLogger, createLogger, scrubSecrets } from '../../src/log.js';
import { capturedLogger } from '../helpers/servers.js';

describe('logging', () => {
  // Regression: a minLength at sonic-boom's maxWrite made every default logger throw at startup.
  it('the default buffered destination constructs, and its lines reach the file once flushed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cassia-log-'));
    try {
      const file = join(dir, 'out.log');
      const dest = bufferedDestination(file);
      const log = createLogger('info', dest);
      log.info({ gateway: 'CC:1B:E0:E0:00:01' }, 'hello');
      await new Promise((r) => setTimeout(r, 50));
      (dest as unknown as { flushSync(): void }).flushSync();
      const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'info', app: 'cassia-ac-proxy', gateway: 'CC:1B:E0:E0:00:01', msg: 'hello' });
      expect(Date.parse(line.time as string)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('redacts credentials given as fields, and scrubs them from error messages', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ headers: { authorization: 'Bearer abc.def' }, access_token: 'tok123', discovery: { secret: 's3cr3t' } }, 'x');
    logger.error({ err: new Error('GET /api/gap/nodes?access_token=tok456&mac=x failed with Basic dXNlcjpwYXNz') }, 'y');
    const all = lines.join('\n');
    for (const secret of ['abc.def', 'tok123', 's3cr3t', 'tok456', 'dXNlcjpwYXNz']) expect(all).not.toContain(secret);
    expect(all).toContain('[REDACTED]');
  });

  it('the access logger writes to the same stream, at the same level', () => {
    const { logger, lines } = capturedLogger('warn');
    const access = createAccessLogger(logger);
    access.info('not shown');
    access.warn({ route: '/api/gap/nodes' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ route: '/api/gap/nodes', msg: 'shown' });
  });

  it.each([
    ['https://key:secret@ac.example.com/x', 'https://[REDACTED]@ac.example.com/x'],
    ['?access_token=abc&mac=1', '?access_token=[REDACTED]&mac=1'],
    ['Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: Bearer [REDACTED]'],
  ])('scrubSecrets(%s)', (input, output) => expect(scrubSecrets(input)).toBe(output));

  it('caches the ISO time per millisecond', () => {
    expect(cachedIsoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });
});
