import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/simulator/prng.js';
import { createSeqNumRewriter, type SequenceFallbackReason } from '../../src/streams/seqnum-rewriter.js';

interface Run { out: string; fallbacks: SequenceFallbackReason[] }

/** Feeds `chunks` through a fresh rewriter; the client's bytes, and the fallbacks reported. */
function run(chunks: Buffer[], kind: 'notification' | 'combined' = 'notification', maxEventBytes = 1 << 20): Run {
  const fallbacks: SequenceFallbackReason[] = [];
  const rewriter = createSeqNumRewriter({ kind, maxEventBytes, onFallback: (reason) => fallbacks.push(reason) });
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    out.push(Buffer.from(rewriter.write(chunk)));
    // The proxy's chunk memory may be reused once written: nothing may point into it.
    chunk.fill(0x23);
  }
  out.push(rewriter.end());
  return { out: Buffer.concat(out).toString(), fallbacks };
}

/** Copies of `input` cut at the given offsets. */
const split = (input: Buffer, cuts: number[]): Buffer[] => {
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, input.length]) {
    out.push(Buffer.from(input.subarray(at, c)));
    at = c;
  }
  return out;
};

/** Runs `input` whole, split at every byte boundary, and one byte at a time: always the same result. */
function everySplit(input: string, kind: 'notification' | 'combined' = 'notification', maxEventBytes?: number): Run {
  const bytes = Buffer.from(input);
  const whole = run([Buffer.from(bytes)], kind, maxEventBytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(run(split(bytes, [cut]), kind, maxEventBytes), `cut at ${cut}`).toEqual(whole);
  }
  expect(run(split(bytes, [...bytes.keys()].slice(1)), kind, maxEventBytes), 'one byte at a time').toEqual(whole);
  return whole;
}

/** Notification `n` as the AC writes it with `sequence=2` (`seqNum` last), or without it. */
const note = (n: number, withSeq = true): string =>
  `{"value":"0856${String(n).padStart(4, '0')}","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"${withSeq ? `,"seqNum":${n}` : ''}}`;
const bare = (n: number): string => note(n, false);

describe('createSeqNumRewriter: streams', () => {
  it.each<[string, string, string]>([
    ['events, LF', `data: ${note(1)}\n\ndata: ${note(2)}\n\n`, `data: ${bare(1)}\n\ndata: ${bare(2)}\n\n`],
    ['CRLF', `data: ${note(1)}\r\n\r\n`, `data: ${bare(1)}\r\n\r\n`],
    ['CR only', `data:${note(1)}\r\r`, `data:${bare(1)}\r\r`],
    ['keep-alives of every form pass untouched', `:keep-alive\n\nevent: keep-alive\ndata: \n\ndata: keep-alive\n\ndata: ${note(3)}\n\n:\n`,
      `:keep-alive\n\nevent: keep-alive\ndata: \n\ndata: keep-alive\n\ndata: ${bare(3)}\n\n:\n`],
    ['event and id lines, a comment inside an event', `event: n\nid: 4\ndata: ${note(4)}\n: mid\n\n`, `event: n\nid: 4\ndata: ${bare(4)}\n: mid\n\n`],
    ['a leading BOM', `\ufeffdata: ${note(5)}\n\n`, `\ufeffdata: ${bare(5)}\n\n`],
    ['multi-line data, the member and its separator on one line', 'data: {"value":"01",\ndata: "id":"x", "seqNum":6}\n\n', 'data: {"value":"01",\ndata: "id":"x"}\n\n'],
    ['multi-line data, the member first', 'data: {\ndata: "seqNum":6, "a":1}\n\n', 'data: {\ndata: "a":1}\n\n'],
    ['an unfinished event at the end goes out unchanged', `data: ${note(7)}\n\ndata: ${note(8)}\n`, `data: ${bare(7)}\n\ndata: ${note(8)}\n`],
    ['an unfinished line at the end goes out unchanged', `data: ${note(7)}\n\ndata: {"val`, `data: ${bare(7)}\n\ndata: {"val`],
    ['empty data dispatches nothing and passes', 'data:\n\n', 'data:\n\n'],
  ])('%s', (_name, input, expected) => {
    expect(everySplit(input)).toEqual({ out: expected, fallbacks: [] });
  });

  it('combined stream: only notification events must carry seqNum; the others pass as they are', () => {
    const state = '{"dataType":"state","aps":[{"ap":"CC:1B:E0:E0:00:01","seqNum":9}]}';
    const scan = '{"dataType":"scan","ap":"CC:1B:E0:E0:00:01","bdaddrs":[{"bdaddr":"E4:7F","bdaddrType":"public"}],"adData":"0201","rssi":-60}';
    const cs = '{"dataType":"connection_state","ap":"CC:1B:E0:E0:00:01","handle":"E4:7F","connectionState":"connected"}';
    const n = (seq: string) => `{"dataType":"notification","ap":"CC:1B:E0:E0:00:01","device":"E4:7F","handle":36,"value":"01"${seq}}`;
    const input = [state, scan, n(',"seqNum":1'), cs, n(' , "seqNum" : 2')].map((e) => `data: ${e}\n\n`).join('');
    const expected = [state, scan, n(''), cs, n('')].map((e) => `data: ${e}\n\n`).join('');
    expect(everySplit(input, 'combined')).toEqual({ out: expected, fallbacks: [] });
  });

  it.each<[string, string, 'notification' | 'combined', SequenceFallbackReason]>([
    ['an event without seqNum', `data: ${bare(9)}\n\n`, 'notification', 'no_seqnum'],
    ['a combined notification without seqNum', 'data: {"dataType":"notification","ap":"CC","device":"E4","value":"01"}\n\n', 'combined', 'no_seqnum'],
    ['an event that is not JSON', 'data: hello there, this is not JSON at all\n\n', 'notification', 'unrewritable'],
    ['a string seqNum', 'data: {"id":"x","seqNum":"12"}\n\n', 'notification', 'unrewritable'],
    ['seqNum split over two data lines', 'data: {"id":"x","seqNum"\ndata: :12}\n\n', 'notification', 'unrewritable'],
    ['the separator split over two data lines', 'data: {"id":"x",\ndata:"seqNum":12}\n\n', 'combined', 'unrewritable'],
    ['the member on a line of its own', 'data: {"id":"x",\ndata: "seqNum":12,\ndata: "a":1}\n\n', 'notification', 'unrewritable'],
    ['an event larger than limits.maxEventBytes', `data: {"id":"${'x'.repeat(300)}","seqNum":12}\n\n`, 'notification', 'oversized'],
  ])('falls back on %s: that event and every later one go out unchanged, reported once', (_name, bad, kind, reason) => {
    const input = `data: ${note(1)}\n\n:keep-alive\n\n${bad}data: ${note(2)}\n\ndata: ${bare(3)}\n\n`;
    const expected = `data: ${bare(1)}\n\n:keep-alive\n\n${bad}data: ${note(2)}\n\ndata: ${bare(3)}\n\n`;
    expect(everySplit(input, kind, 256)).toEqual({ out: expected, fallbacks: [reason] });
  });

  it('hands back the chunk itself when nothing in it changes or waits', () => {
    const rewriter = createSeqNumRewriter({ kind: 'notification', maxEventBytes: 1 << 20, onFallback: () => undefined });
    const keepalive = Buffer.from(':keep-alive\n\n');
    expect(rewriter.write(keepalive)).toBe(keepalive);
    expect(rewriter.write(Buffer.from('data: {"id":"x",'))).toHaveLength(0);
    expect(rewriter.write(Buffer.from('"seqNum":1}\n\n')).toString()).toBe('data: {"id":"x"}\n\n');
  });

  it('a fault in the fallback callback never reaches the bytes', () => {
    const rewriter = createSeqNumRewriter({ kind: 'notification', maxEventBytes: 1 << 20, onFallback: () => { throw new Error('boom'); } });
    const input = `data: ${bare(2)}\n\ndata: ${note(3)}\n\n`;
    expect(rewriter.write(Buffer.from(input)).toString()).toBe(input);
  });
});

/** Random JSON texts with random whitespace, including the traps: nested and quoted `seqNum`. */
function generator(random: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const ws = (): string => pick(['', '', '', ' ', '  ', '\t', ' \t']);
  const keys = ['value', 'handle', 'id', 'dataType', 'ap', 'device', 'timestamp', 'seqnum', 'SeqNum', 'seqNumber', 'n', 'Wärme', 'k\\"q', 'a\\\\'];
  const strings = ['', 'notification', '0856000012345678', 'E4:7F:00:00:00:01', '\\"seqNum\\":1,', 'a\\\\', '},{', '温度 🌡', '\\u0041', ' \\"seqNum\\" : 2 '];
  const scalar = (): string => pick([
    () => `"${pick(strings)}"`, () => String(Math.floor(random() * 2000) - 1000), () => (random() * 100).toFixed(3),
    () => '1e-7', () => pick(['true', 'false', 'null']),
  ])();
  const value = (depth: number): string => {
    const r = random();
    if (depth < 3 && r < 0.15) return object(depth + 1, Math.floor(random() * 4), true).text;
    if (depth < 3 && r < 0.25) return `[${ws()}${Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
    return scalar();
  };
  const member = (key: string, text: string): string => `"${key}"${ws()}:${ws()}${text}`;
  /** An object of `n` members; nested ones may have a `seqNum` key of their own (not the proxy's). */
  function object(depth: number, n: number, nested: boolean): { members: string[]; seps: string[]; open: string; close: string; text: string } {
    const members = Array.from({ length: n }, () => member(nested && random() < 0.2 ? 'seqNum' : pick(keys), value(depth)));
    const seps = members.slice(1).map(() => `${ws()},${ws()}`);
    const open = `{${ws()}`;
    const close = `${ws()}}`;
    let text = open;
    members.forEach((m, i) => { text += (i > 0 ? seps[i - 1] : '') + m; });
    return { members, seps, open, close, text: text + close };
  }
  /** The event text with the proxy's member at a random position, and the text the AC sends without it. */
  return function pair(): { withSeq: string; without: string } {
    const o = object(0, Math.floor(random() * 6), false);
    const seqMember = member('seqNum', String(Math.floor(random() * 1e6)));
    const at = Math.floor(random() * (o.members.length + 1));
    const sep = `${ws()},${ws()}`;
    const parts: string[] = [];
    o.members.forEach((m, i) => {
      if (i === at && at === 0) parts.push(seqMember, sep);
      if (i > 0) parts.push(o.seps[i - 1] as string);
      parts.push(m);
      if (i === at - 1) parts.push(sep, seqMember);
    });
    if (o.members.length === 0) parts.push(seqMember);
    return { withSeq: o.open + parts.join('') + o.close, without: o.text };
  };
}

describe('createSeqNumRewriter: property', () => {
  it('random JSON objects, seqNum at any position, any whitespace, split at every byte boundary: the object without the member', () => {
    const random = mulberry32(20261206);
    const pair = generator(random);
    const eols = ['\n', '\r\n', '\r'];
    for (let round = 0; round < 200; round++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 3) }, pair);
      const eol = eols[round % eols.length] as string;
      const frame = (text: string, i: number): string => `${i === 1 ? `:keep-alive${eol}` : ''}data:${round % 2 === 0 ? ' ' : ''}${text}${eol}${eol}`;
      const input = events.map((e, i) => frame(e.withSeq, i)).join('');
      const expected = events.map((e, i) => frame(e.without, i)).join('');
      for (const e of events) {
        // The generator's own check: the two texts differ by exactly the member.
        let parsed: Record<string, unknown> = {};
        try { parsed = JSON.parse(e.withSeq) as Record<string, unknown>; } catch (err) { throw new Error(`${String(err)}: ${e.withSeq}`); }
        expect(typeof parsed.seqNum).toBe('number');
        delete parsed.seqNum;
        expect(JSON.parse(e.without), e.withSeq).toEqual(parsed);
      }
      expect(everySplit(input), input).toEqual({ out: expected, fallbacks: [] });
      // And at random multi-way splits.
      const bytes = Buffer.from(input);
      const cuts = Array.from({ length: 4 }, () => Math.floor(random() * bytes.length)).sort((a, b) => a - b);
      expect(run(split(bytes, cuts)).out, `cuts ${cuts.join(',')}`).toBe(expected);
    }
  });
});
