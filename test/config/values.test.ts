import { describe, expect, it } from 'vitest';
import { nearest } from '../../src/config/errors.js';
import {
  formatByteSize, formatDuration, formatHostPort, maskUrl, parseByteSize, parseDuration, parseHostPort, parseUpstreamUrl,
} from '../../src/config/values.js';

const value = <T>(result: { ok: true; value: T } | { ok: false; expected: string }) => (result.ok ? result.value : `error: ${result.expected}`);

describe('durations', () => {
  it.each<[unknown, number]>([
    ['250ms', 250], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000], ['1.5s', 1500], ['1m30s', 90_000], [' 2s ', 2000],
  ])('%j is %d ms', (input, ms) => {
    expect(value(parseDuration(input))).toBe(ms);
    expect(value(parseDuration(formatDuration(ms)))).toBe(ms); // printed form reads back the same
  });
  it.each<[unknown]>([[5000], ['5000'], ['5 s'], ['5sec'], ['-1s'], [''], [null], [true], ['0ms']])('%j is rejected', (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });
  it('0s is allowed where the minimum is 0', () => {
    expect(value(parseDuration('0s', 0))).toBe(0);
  });
});

describe('sizes', () => {
  it.each<[unknown, number]>([
    ['1MiB', 1_048_576], ['512KiB', 524_288], ['64kB', 64_000], ['2mb', 2_000_000], [4096, 4096], ['4096', 4096], ['100B', 100],
  ])('%j is %d bytes', (input, bytes) => {
    expect(value(parseByteSize(input))).toBe(bytes);
    expect(value(parseByteSize(formatByteSize(bytes)))).toBe(bytes);
  });
  it.each<[unknown]>([['1 megabyte'], [0], [1.5], ['0.5B'], [-1], [{}]])('%j is rejected', (input) => {
    expect(parseByteSize(input).ok).toBe(false);
  });
});

describe('listen addresses', () => {
  it.each<[string, string, number]>([
    ['127.0.0.1:8080', '127.0.0.1', 8080], [':9464', '0.0.0.0', 9464], ['[::1]:0', '::1', 0], ['localhost:65535', 'localhost', 65535],
  ])('%s', (input, host, port) => {
    expect(value(parseHostPort(input))).toEqual({ host, port });
    expect(formatHostPort({ host, port })).toBe(input.startsWith(':') ? `0.0.0.0${input}` : input);
  });
  it.each<[unknown]>([['8080'], [8080], ['::1:8080'], ['[nope]:80'], ['host:99999'], ['host'], ['a b:1']])('%j is rejected', (input) => {
    expect(parseHostPort(input).ok).toBe(false);
  });
});

describe('upstream URLs', () => {
  it.each([['https://ac.example.com', 'https://ac.example.com/'], ['http://127.0.0.1:8000/', 'http://127.0.0.1:8000/'], ['https://ac:8443', 'https://ac:8443/']])('%s', (input, href) => {
    expect((value(parseUpstreamUrl(input)) as URL).href).toBe(href);
  });
  it.each([['ftp://ac'], ['ac.example.com'], ['https://ac/api'], ['https://ac/?q=1'], ['https://ac/#x'], ['file:///etc/passwd'], ['http://user:pw@ac/'], ['https://token@ac.example.com']])('%s is rejected', (input) => {
    expect(parseUpstreamUrl(input).ok).toBe(false);
  });
  it.each([
    ['https://user:pw@ac.example.com/', 'https://user:***@ac.example.com/'],
    ['https://token@ac.example.com', 'https://***@ac.example.com'],
    ['https://ac.example.com/a@b', 'https://ac.example.com/a@b'],
    ['not a url://x:y@', 'not a url://x:y@'],
  ])('masks credentials in %s', (input, masked) => {
    expect(maskUrl(input)).toBe(masked);
  });
});

describe('did-you-mean', () => {
  it.each<[string, string[], string | undefined]>([
    ['conect', ['connect', 'headers'], 'connect'],
    ['Listen', ['listen', 'admin'], 'listen'],
    ['endianness', ['endian', 'name'], 'endian'],
    ['colour', ['upstream', 'listen'], undefined],
  ])('%s among %j → %s', (word, candidates, expected) => {
    expect(nearest(word, candidates)).toBe(expected);
  });
});
