/** Response header hygiene: hop-by-hop fields dropped in any case, names kept as sent, field-name cache exact. */
import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, upstreamRequestHeaders, type RequestFraming } from '../../src/proxy/headers.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('clientResponseHeaders', () => {
  it('drops hop-by-hop fields in any spelling and keeps the rest as sent, in order', () => {
    const headers = raw(
      'Content-Type', 'application/json', 'CONNECTION', 'keep-alive', 'Keep-Alive', 'timeout=5',
      'transfer-encoding', 'chunked', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X-Tr\xe9s', 'caf\xe9',
    );
    // Twice: the second pass reads names from the cache and must give the same answer.
    for (let i = 0; i < 2; i++) {
      expect(clientResponseHeaders(headers)).toEqual([
        'Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X-Tr\xe9s', 'caf\xe9',
      ]);
    }
  });

  it('gives every value as sent, when it repeats and when it changes at the same length', () => {
    const values = ['621', '622', '621', '', 'x'.repeat(64), `${'x'.repeat(63)}y`, 'z'.repeat(200), 'caf\xe9', 'caf\xe8'];
    for (let round = 0; round < 2; round++) {
      for (const v of values) expect(clientResponseHeaders(raw('Content-Length', v))).toEqual(['Content-Length', v]);
    }
  });

  it('drops the fields Connection names', () => {
    expect(clientResponseHeaders(raw('Connection', 'close, X-Secret', 'x-secret', 's', 'X-Other', 'o'))).toEqual(['X-Other', 'o']);
  });

  it('tells apart names that share length, first and last byte (one cache slot)', () => {
    // Same key for the cache: 6 bytes, `X`…`Z`; and a hop-by-hop name sharing the slot of a kept one.
    const names = ['X-Ab-Z', 'X-Ba-Z', 'X-AB-Z', 'Upgrade', 'Uxxxxxe'];
    for (let round = 0; round < 3; round++) {
      for (const name of names) {
        const out = clientResponseHeaders(raw(name, 'v'));
        expect(out, name).toEqual(name === 'Upgrade' ? [] : [name, 'v']);
      }
    }
  });

  it('stays correct past the bound of its cache', () => {
    for (let i = 0; i < 2000; i++) {
      const name = `X-Field-${i}`;
      expect(clientResponseHeaders(raw(name, String(i), 'Keep-Alive', 'timeout=5'))).toEqual([name, String(i)]);
    }
  });
});

describe('upstreamRequestHeaders', () => {
  const forward = (raw: string[]): { out: string[] | null; framing: RequestFraming } => {
    const framing: RequestFraming = { host: false, hasBody: false, transferEncoding: null };
    return { out: upstreamRequestHeaders(raw, { clientIp: '10.0.0.9', proto: 'http' }, framing), framing };
  };

  it('reads framing and Host, drops hop-by-hop and its own fields, the same on every call (field-name cache)', () => {
    const raw = [
      'Host', 'ac.example', 'Authorization', 'Bearer t', 'Connection', 'keep-alive, X-Hop', 'X-Hop', 'h', 'TE', 'trailers',
      'Transfer-Encoding', 'chunked', 'X-Forwarded-For', '10.1.1.1', 'x-forwarded-proto', 'https', 'Expect', '100-continue', 'Accept', '*/*',
    ];
    for (let i = 0; i < 3; i++) {
      const { out, framing } = forward(raw);
      expect(out).toEqual([
        'Authorization', 'Bearer t', 'Accept', '*/*',
        'x-forwarded-for', '10.1.1.1, 10.0.0.9', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'ac.example',
      ]);
      expect(framing).toEqual({ host: true, hasBody: true, transferEncoding: 'chunked' });
    }
  });

  it('a client X-Forwarded-For named in Connection is hop-by-hop: not trusted, not forwarded', () => {
    const { out } = forward(['host', 'a', 'Connection', 'X-Forwarded-For', 'X-Forwarded-For', '1.2.3.4']);
    expect(out).toEqual(['x-forwarded-for', '10.0.0.9', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'a']);
  });

  it('refuses a second Host in any spelling, and reads Content-Length in any spelling', () => {
    expect(forward(['Host', 'a', 'HOST', 'b']).out).toBeNull();
    expect(forward(['host', 'a', 'CONTENT-LENGTH', '0']).framing).toEqual({ host: true, hasBody: false, transferEncoding: null });
    expect(forward(['host', 'a', 'Content-Length', '12']).framing.hasBody).toBe(true);
    expect(forward(['host', 'a', 'Content-Length', '12']).out).toContain('Content-Length');
  });
});
