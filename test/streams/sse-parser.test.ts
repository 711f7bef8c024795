import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/streams/sse-parser.js';

type Out = string; // 'E:<type>:<data>' | 'K' | 'M'

function run(chunks: Buffer[], maxEventBytes?: number): Out[] {
  const out: Out[] = [];
  const parser = createSseParser(
    {
      event: (b, s, e, type) => out.push(`E:${type}:${b.toString('utf8', s, e)}`),
      keepAlive: () => out.push('K'),
      malformed: () => out.push('M'),
    },
    maxEventBytes === undefined ? {} : { maxEventBytes },
  );
  for (const c of chunks) parser.write(c);
  return out;
}

const scan = '{"bdaddrs":[{"bdaddr":"ED:47:12:34:56:78","bdaddrType":"random"}],"adData":"0201061BFF9904","rssi":-67}';

const corpus: Array<{ name: string; input: Buffer; expected: Out[]; max?: number }> = [
  { name: 'LF', input: Buffer.from(`data: ${scan}\n\ndata: {"a":2}\n\n`), expected: [`E::${scan}`, 'E::{"a":2}'] },
  { name: 'CRLF', input: Buffer.from('data: {"a":1}\r\n\r\ndata: {"a":2}\r\n\r\n'), expected: ['E::{"a":1}', 'E::{"a":2}'] },
  { name: 'CR only', input: Buffer.from('data: {"a":1}\r\rdata:{"a":2}\r\r'), expected: ['E::{"a":1}', 'E::{"a":2}'] },
  { name: 'mixed line ends', input: Buffer.from('data: x\r\n\ndata: y\r\rdata: z\n\r\n'), expected: ['E::x', 'E::y', 'E::z'] },
  { name: 'multi-line data joined with LF', input: Buffer.from('data: a\ndata:b\ndata:  c\n\n'), expected: ['E::a\nb\n c'] },
  { name: 'event type, id and retry', input: Buffer.from('event: scan\nid: 7\nretry: 100\ndata: x\n\ndata: y\n\n'), expected: ['E:scan:x', 'E::y'] },
  { name: 'comment lines are keep-alives', input: Buffer.from(':keep-alive\n\n: ping\ndata: x\n\n:\n\n'), expected: ['K', 'K', 'E::x', 'K'] },
  { name: 'keep-alive event', input: Buffer.from('event: keep-alive\ndata: 1\n\nevent: keepalive\n\n'), expected: ['K', 'K'] },
  {
    name: 'keep-alive data lines',
    input: Buffer.from('data: keep-alive\n\ndata: "keep-alive"\n\ndata: {"keep-alive":1700000000}\n\ndata: {"name":"x"}\n\n'),
    expected: ['K', 'K', 'K', 'E::{"name":"x"}'],
  },
  { name: 'leading BOM', input: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: x\n\n')]), expected: ['E::x'] },
  { name: 'multi-byte UTF-8', input: Buffer.from('data: {"name":"Wärme 温度 🌡"}\n\n'), expected: ['E::{"name":"Wärme 温度 🌡"}'] },
  { name: 'empty data and unknown fields dispatch nothing', input: Buffer.from('data:\n\nfoo: bar\n\nevent: x\n\ndata\n\n'), expected: [] },
  { name: 'field without colon is its name', input: Buffer.from('data\ndata: a\n\n'), expected: ['E::\na'] },
  { name: 'unterminated trailing event is not dispatched', input: Buffer.from('data: a\n\ndata: b\n'), expected: ['E::a'] },
  {
    name: 'oversized event skipped, next event intact',
    input: Buffer.from(`data: ${'x'.repeat(100)}\ndata: more\n\ndata: ok\n\n`),
    expected: ['M', 'E::ok'],
    max: 64,
  },
  {
    name: 'oversized single line skipped',
    input: Buffer.from(`data: ${'y'.repeat(200)}\r\n\r\n:c\r\ndata: ok\r\n\r\n`),
    expected: ['M', 'K', 'E::ok'],
    max: 64,
  },
];

describe('createSseParser', () => {
  it.each(corpus)('$name: whole input', ({ input, expected, max }) => {
    expect(run([input], max)).toEqual(expected);
  });

  it.each(corpus)('$name: split at every byte boundary', ({ input, expected, max }) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const got = run([input.subarray(0, cut), input.subarray(cut)], max);
      expect(got, `cut at ${cut}`).toEqual(expected);
    }
  });

  it.each(corpus)('$name: split at every pair of boundaries', ({ input, expected, max }) => {
    const step = input.length > 80 ? 7 : 1;
    for (let a = 0; a <= input.length; a += step) {
      for (let b = a; b <= input.length; b++) {
        const got = run([input.subarray(0, a), input.subarray(a, b), input.subarray(b)], max);
        expect(got, `cuts at ${a},${b}`).toEqual(expected);
      }
    }
  });

  it.each(corpus)('$name: one byte at a time', ({ input, expected, max }) => {
    const bytes = [...input].map((b) => Buffer.from([b]));
    expect(run(bytes, max)).toEqual(expected);
  });

  it('does not keep references into chunks the caller reuses', () => {
    const out: string[] = [];
    const parser = createSseParser({
      event: (b, s, e) => out.push(b.toString('utf8', s, e)),
      keepAlive: () => {},
      malformed: () => {},
    });
    const chunk = Buffer.from('data: hello\n');
    parser.write(chunk);
    chunk.fill(0x41); // the proxy's buffer is recycled
    parser.write(Buffer.from('\n'));
    expect(out).toEqual(['hello']);
  });

  it('keeps memory bounded while skipping an endless oversized event', () => {
    const out: string[] = [];
    const parser = createSseParser(
      { event: () => out.push('E'), keepAlive: () => out.push('K'), malformed: () => out.push('M') },
      { maxEventBytes: 1024 },
    );
    const piece = Buffer.alloc(4096, 0x61);
    parser.write(Buffer.from('data: '));
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 2000; i++) parser.write(piece); // 8 MiB of one line
    const grown = process.memoryUsage().arrayBuffers - before;
    parser.write(Buffer.from('\n\ndata: after\n\n'));
    expect(out).toEqual(['M', 'E']);
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});

/** Handler calls and line observations, in the order they came, as text. */
function observe(chunks: Buffer[], maxEventBytes?: number): string[] {
  const out: string[] = [];
  const parser = createSseParser(
    {
      event: (b, s, e) => out.push(`E:${b.toString('utf8', s, e)}`),
      keepAlive: () => out.push('K'),
      malformed: () => out.push('M'),
    },
    {
      ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
      lines: { dataLine: (start, value, end) => out.push(`D:${start},${value},${end}`), blankLine: (at) => out.push(`B:${at}`) },
    },
  );
  for (const c of chunks) parser.write(c);
  return out;
}

describe('createSseParser line observer', () => {
  it.each<[string, string, string[]]>([
    ['one event', 'data: {"a":1}\n\n', ['D:0,6,13', 'E:{"a":1}', 'B:14']],
    ['CRLF, no space after the colon', 'data:x\r\n\r\n', ['D:0,5,6', 'E:x', 'B:8']],
    ['multi-line data, then an id line', 'data: a\ndata:b\nid: 1\n\n', ['D:0,6,7', 'D:8,13,14', 'E:a\nb', 'B:21']],
    ['comment and event lines are not data lines', ':c\nevent: x\ndata: y\n\n', ['K', 'D:12,18,19', 'E:y', 'B:20']],
    ['empty data dispatches nothing but the blank line is seen', 'data:\n\n', ['D:0,5,5', 'B:6']],
    ['a leading BOM is not part of the first line', '\ufeffdata: x\n\n', ['D:3,9,10', 'E:x', 'B:11']],
    ['oversized: the blank line after the skipped event', `data: ${'z'.repeat(80)}\n\ndata: k\n\n`, ['M', 'B:87', 'D:88,94,95', 'E:k', 'B:96']],
  ])('%s', (_name, input, expected) => {
    const bytes = Buffer.from(input);
    expect(observe([bytes], 64)).toEqual(expected);
  });

  it.each(corpus)('$name: the same observations, split at every byte boundary', ({ input, max }) => {
    const whole = observe([input], max);
    for (let cut = 0; cut <= input.length; cut++) {
      expect(observe([input.subarray(0, cut), input.subarray(cut)], max), `cut at ${cut}`).toEqual(whole);
    }
    expect(observe([...input].map((b) => Buffer.from([b])), max)).toEqual(whole);
  });

  it.each(corpus)('$name: data lines point at their bytes', ({ input, max }) => {
    for (const o of observe([input], max)) {
      if (!o.startsWith('D:')) continue;
      const [start, value, end] = o.slice(2).split(',').map(Number) as [number, number, number];
      expect(input.toString('latin1', start, start + 4)).toBe('data');
      expect(start <= value && value <= end).toBe(true);
      expect([0x0a, 0x0d, undefined]).toContain(input[end]);
    }
  });
});
