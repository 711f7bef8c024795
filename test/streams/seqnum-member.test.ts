import { describe, expect, it } from 'vitest';
import { findSeqNumMember, SEQNUM_ABSENT, SEQNUM_FOUND, SEQNUM_UNREWRITABLE, type SeqNumMember } from '../../src/streams/seqnum-member.js';

const find = (text: string, pad = ''): { verdict: number; out: SeqNumMember } => {
  // Padding on both sides: offsets must be relative to the buffer, reading only [start, end).
  const b = Buffer.from(`${pad}${text}${pad}`);
  const out: SeqNumMember = { from: -1, to: -1, notification: false };
  const verdict = findSeqNumMember(b, pad.length, pad.length + Buffer.byteLength(text), out);
  return { verdict, out };
};

/** The text with the cut removed. */
const cut = (text: string): string => {
  const { verdict, out } = find(text);
  expect(verdict).toBe(SEQNUM_FOUND);
  const b = Buffer.from(text);
  return Buffer.concat([b.subarray(0, out.from), b.subarray(out.to)]).toString();
};

describe('findSeqNumMember: the cut', () => {
  it.each<[string, string, string]>([
    ['last, as the simulator writes it', '{"value":"0856","handle":36,"id":"E4:7F","dataType":"notification","seqNum":12}', '{"value":"0856","handle":36,"id":"E4:7F","dataType":"notification"}'],
    ['first', '{"seqNum":12,"value":"0856"}', '{"value":"0856"}'],
    ['middle', '{"value":"0856","seqNum":0,"id":"E4"}', '{"value":"0856","id":"E4"}'],
    ['the only member', '{"seqNum":7}', '{}'],
    ['the only member, with whitespace', '{ "seqNum" : 7 }', '{  }'],
    ['spaces after separators', '{"a": 1, "seqNum": 2, "b": 3}', '{"a": 1, "b": 3}'],
    ['first, spaces after separators', '{ "seqNum": 2, "a": 1 }', '{ "a": 1 }'],
    ['whitespace before commas', '{"a":1 , "seqNum":2 , "b":3}', '{"a":1 , "b":3}'],
    ['tabs around the colon', '{"a":1,"seqNum"\t:\t2}', '{"a":1}'],
    ['before a timestamp', '{"id":"x","seqNum":99,"timestamp":"2021-03-08 10:07:17.723 CST"}', '{"id":"x","timestamp":"2021-03-08 10:07:17.723 CST"}'],
    ['nested seqNum keys stay', '{"a":{"seqNum":1},"seqNum":2,"b":[{"seqNum":3}]}', '{"a":{"seqNum":1},"b":[{"seqNum":3}]}'],
    ['seqNum text inside strings stays', '{"s":"\\"seqNum\\":1,","seqNum":2}', '{"s":"\\"seqNum\\":1,"}'],
    ['a backslash before a closing quote', '{"s":"a\\\\","seqNum":2,"t":"}"}', '{"s":"a\\\\","t":"}"}'],
    ['multi-byte UTF-8 around it', '{"name":"Wärme 温度","seqNum":5,"x":"🌡"}', '{"name":"Wärme 温度","x":"🌡"}'],
    ['a large number', '{"seqNum":4294967296,"a":1}', '{"a":1}'],
    ['line breaks of joined data lines are whitespace', '{"a":1,\n"seqNum":2}', '{"a":1}'],
  ])('%s', (_name, text, expected) => {
    expect(cut(text)).toBe(expected);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    delete parsed.seqNum;
    expect(JSON.parse(expected)).toEqual(parsed);
  });

  it('gives offsets into the buffer it was given', () => {
    const { verdict, out } = find('{"a":1,"seqNum":2}', 'data: ');
    expect([verdict, out.from, out.to]).toEqual([SEQNUM_FOUND, 6 + 6, 6 + 17]);
  });
});

describe('findSeqNumMember: verdicts', () => {
  it.each<[string, string, number, boolean]>([
    ['no seqNum, a notification', '{"value":"01","handle":36,"id":"x","dataType":"notification"}', SEQNUM_ABSENT, true],
    ['combined scan event', '{"dataType":"scan","ap":"CC:1B","bdaddrs":[],"adData":"0201"}', SEQNUM_ABSENT, false],
    ['combined state snapshot', '{"dataType":"state","aps":[{"ap":"CC:1B","seqNum":3}]}', SEQNUM_ABSENT, false],
    ['combined notification', '{"dataType":"notification","ap":"CC","device":"E4","value":"01"}', SEQNUM_ABSENT, true],
    ['a value without dataType reads as a notification', '{"id":"E4","value":"01"}', SEQNUM_ABSENT, true],
    ['a value with adData reads as a scan', '{"value":"01","adData":"02"}', SEQNUM_ABSENT, false],
    ['a non-string dataType falls to the fields', '{"dataType":3,"value":"01"}', SEQNUM_ABSENT, true],
    ['empty object', ' { } ', SEQNUM_ABSENT, false],
    ['the kind is read with a seqNum too', '{"dataType":"notification","seqNum":1}', SEQNUM_FOUND, true],
    ['not an object', '[{"seqNum":1}]', SEQNUM_UNREWRITABLE, false],
    ['not JSON', 'keep going', SEQNUM_UNREWRITABLE, false],
    ['truncated', '{"value":"01","seqNum":1', SEQNUM_UNREWRITABLE, false],
    ['trailing comma', '{"seqNum":1,}', SEQNUM_UNREWRITABLE, false],
    ['text after the object', '{"seqNum":1} x', SEQNUM_UNREWRITABLE, false],
    ['two objects', '{"a":1}{"seqNum":2}', SEQNUM_UNREWRITABLE, false],
    ['seqNum twice', '{"seqNum":1,"seqNum":2}', SEQNUM_UNREWRITABLE, false],
    ['a string seqNum', '{"seqNum":"1"}', SEQNUM_UNREWRITABLE, false],
    ['a negative seqNum', '{"seqNum":-1}', SEQNUM_UNREWRITABLE, false],
    ['a fractional seqNum', '{"seqNum":1.5}', SEQNUM_UNREWRITABLE, false],
    ['a leading zero', '{"seqNum":01}', SEQNUM_UNREWRITABLE, false],
    ['an escaped seqNum key', '{"seq\\u004eum":1}', SEQNUM_UNREWRITABLE, false],
    ['mismatched brackets', '{"a":[1},"seqNum":1}', SEQNUM_UNREWRITABLE, false],
    ['an empty value', '{"a":,"seqNum":1}', SEQNUM_UNREWRITABLE, false],
    ['too deep to follow', `{"a":${'['.repeat(40)}${']'.repeat(40)},"seqNum":1}`, SEQNUM_UNREWRITABLE, false],
  ])('%s', (_name, text, verdict, notification) => {
    const got = find(text, '{"seqNum":0}');
    expect(got.verdict).toBe(verdict);
    if (verdict !== SEQNUM_UNREWRITABLE) expect(got.out.notification).toBe(notification);
  });
});
