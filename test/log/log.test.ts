import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferedDestination, cachedIsoTime, createLogger, scrubSecrets } from '../../src/log.js';
import { createLineWriter } from '../../src/log-writer.js';
import { capturedLogger } from '../helpers/servers.js';
import { until } from '../helpers/until.js';

describe('logging', () => {
  // Regression: a minLength at sonic-boom's maxWrite once made every default logger throw at startup.
  it('the default buffered destination constructs, and its lines reach the file once flushed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cassia-log-'));
    try {
      const file = join(dir, 'out.log');
      const dest = bufferedDestination(file);
      const log = createLogger('info', dest);
      log.info({ gateway: 'CC:1B:E0:E0:00:01' }, 'hello');
      dest.flushSync();
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

  it.each([
    ['https://key:secret@ac.example.com/x', 'https://[REDACTED]@ac.example.com/x'],
    ['?access_token=abc&mac=1', '?access_token=[REDACTED]&mac=1'],
    ['Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: Bearer [REDACTED]'],
  ])('scrubSecrets(%s)', (input, output) => expect(scrubSecrets(input)).toBe(output));

  it('caches the ISO time per millisecond', () => {
    expect(cachedIsoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });

  it('gives the same text as toISOString, across second, day and year boundaries', () => {
    const starts = [Date.UTC(2026, 11, 31, 23, 59, 58, 990), Date.UTC(2026, 2, 1, 0, 0, 0, 0) - 3, 1_764_780_752_000];
    const now = vi.spyOn(Date, 'now');
    try {
      for (const start of starts) {
        // Forwards in 1-7 ms steps over ~2.5 s, and one step back (clocks may be set back).
        for (let t = start, i = 0; t < start + 2500; t += 1 + (i++ % 7)) {
          now.mockReturnValue(t);
          expect(cachedIsoTime()).toBe(`,"time":"${new Date(t).toISOString()}"`);
        }
        now.mockReturnValue(start - 1000);
        expect(cachedIsoTime()).toBe(`,"time":"${new Date(start - 1000).toISOString()}"`);
      }
    } finally {
      now.mockRestore();
    }
  });
});

describe('createLineWriter', () => {
  const withDir = async (fn: (file: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'cassia-writer-'));
    try {
      await fn(join(dir, 'out.log'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const read = (file: string): string => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };

  it('writes in order once flushBytes accumulate, without an explicit flush', () => withDir(async (file) => {
    const w = createLineWriter(file, { flushBytes: 100, intervalMs: 60_000 });
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(20)}\n`);
    for (const l of lines) w.write(l);
    const expected = lines.slice(0, 48).join('');
    await until(() => read(file).length >= expected.length, 10_000, 'the first 48 lines in the file');
    expect(read(file).startsWith(expected)).toBe(true);
    w.end();
    expect(read(file)).toBe(lines.join(''));
  }));

  it('flushes a quiet log on its timer', () => withDir(async (file) => {
    const w = createLineWriter(file, { flushBytes: 1 << 20, intervalMs: 20 });
    w.write('only line\n');
    await until(() => read(file) === 'only line\n', 10_000, 'the timer to flush the quiet line');
    expect(read(file)).toBe('only line\n');
    w.end();
  }));

  it('drops and counts lines past maxBufferBytes instead of growing without bound', () => withDir(async (file) => {
    const w = createLineWriter(file, { flushBytes: 1 << 20, intervalMs: 60_000, maxBufferBytes: 30 });
    expect(w.write(`${'a'.repeat(20)}\n`)).toBe(true);
    expect(w.write(`${'b'.repeat(20)}\n`)).toBe(true);
    expect(w.write(`${'c'.repeat(20)}\n`)).toBe(false);
    expect(w.dropped()).toBe(1);
    w.end();
    expect(read(file)).toBe(`${'a'.repeat(20)}\n${'b'.repeat(20)}\n`);
  }));

  it('keeps string lines and lines written as bytes in order, UTF-8 and lines larger than its buffer included', () => withDir(async (file) => {
    // flushBytes 1000: chunks of 64 KiB, several writes, a line of 200 KiB that needs a chunk of its own.
    const w = createLineWriter(file, { flushBytes: 1000, intervalMs: 60_000 });
    const fill = (buf: Buffer, off: number, text: string): number => off + buf.write(text, off, 'utf8');
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = i % 3 === 0 ? `bytes ${i} ${'b'.repeat(i % 50)}\n` : `text ${i} Gerät ✓ ${'t'.repeat(i % 70)}\n`;
      if (i % 3 === 0) expect(w.writeBytes(Buffer.byteLength(text) + 7, fill, text)).toBe(true);
      else expect(w.write(text)).toBe(true);
      expected.push(text);
      if (i === 1500) {
        const big = `big ${'x'.repeat(200 * 1024)}\n`;
        w.write(big);
        expected.push(big);
      }
    }
    w.end();
    expect(read(file)).toBe(expected.join(''));
  }));

  it('refuses a fill that writes more than it asked for', () => withDir(async (file) => {
    const w = createLineWriter(file, { flushBytes: 1 << 20, intervalMs: 60_000 });
    expect(() => w.writeBytes(2, (buf, off) => off + buf.write('too long\n', off), null)).toThrow(RangeError);
    w.write('next\n');
    w.end();
    expect(read(file)).toBe('next\n');
  }));
});
