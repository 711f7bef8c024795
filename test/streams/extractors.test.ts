import { describe, expect, it } from 'vitest';
import type { Config, SequenceExtractor } from '../../src/config/types.js';
import { createExtractors, hexUint, type SequenceHit } from '../../src/streams/extractors.js';

const hex = (bytes: number[]): string => Buffer.from(bytes).toString('hex').toUpperCase();
const ad = (type: number, data: number[]): number[] => [data.length + 1, type, ...data];
const flags = ad(0x01, [0x06]);

/** RuuviTag data format 5 (RAWv2) as in Ruuvi's spec: 24-byte payload after company id 0x0499. */
function ruuviRecord(measurementSeq: number): number[] {
  const payload = [
    0x05, // 0 format
    0x12, 0xfc, // 1-2 temperature
    0x53, 0x94, // 3-4 humidity
    0xc3, 0x7c, // 5-6 pressure
    0x00, 0x04, 0xff, 0xfc, 0x04, 0x0c, // 7-12 acceleration x,y,z
    0xac, 0x36, // 13-14 power info
    0x42, // 15 movement counter
    (measurementSeq >> 8) & 0xff, measurementSeq & 0xff, // 16-17 measurement sequence
    0xcb, 0xb8, 0x33, 0x4c, 0x88, 0x4f, // 18-23 MAC
  ];
  return ad(0xff, [0x99, 0x04, ...payload]);
}

/** Eddystone-TLM (unencrypted) as in Google's spec: service data for UUID 0xFEAA. */
function tlmRecord(advCnt: number): number[] {
  const frame = [
    0x20, 0x00, // 0 frame type, 1 version
    0x0b, 0xb8, // 2-3 battery mV
    0x17, 0x80, // 4-5 temperature 8.8
    (advCnt >>> 24) & 0xff, (advCnt >>> 16) & 0xff, (advCnt >>> 8) & 0xff, advCnt & 0xff, // 6-9 ADV_CNT
    0x00, 0x01, 0x02, 0x03, // 10-13 SEC_CNT
  ];
  return ad(0x16, [0xaa, 0xfe, ...frame]);
}

function seq(builtin: Config['sequence']['builtin'], extractors: SequenceExtractor[] = []): Config['sequence'] {
  return { builtin, extractors, reorderWindow: 64, reorderWindowTime: 5000, request: false };
}

const ALL = seq(['seqNum', 'ruuvi', 'eddystone-tlm']);
const hit = (): SequenceHit => ({ key: '', seq: -1, modulus: -1 });

describe('built-in extractors', () => {
  it.each([0, 1, 0x1234, 65535])('RuuviTag format 5 measurement sequence %i from adData', (n) => {
    const out = hit();
    const event = { adData: hex([...flags, ...ruuviRecord(n)]), scanData: '', rssi: -60 };
    expect(createExtractors(ALL).scan(event, 'D1', out)).toBe(true);
    expect(out).toEqual({ key: 'r|D1', seq: n, modulus: 65536 });
  });

  it.each([0, 7, 0xdeadbeef, 2 ** 32 - 1])('Eddystone-TLM ADV_CNT %i from scanData', (n) => {
    const out = hit();
    const uuidList = ad(0x03, [0xaa, 0xfe]);
    const event = { adData: hex([...flags, ...uuidList]), scanData: hex(tlmRecord(n)) };
    expect(createExtractors(ALL).scan(event, 'D2', out)).toBe(true);
    expect(out).toEqual({ key: 'e|D2', seq: n, modulus: 2 ** 32 });
  });

  it.each([
    { name: 'other company id', data: hex([...flags, ...ad(0xff, [0x4c, 0x00, 0x05, ...Array(24).fill(1)])]) },
    { name: 'Ruuvi format 3', data: hex([...flags, ...ad(0xff, [0x99, 0x04, 0x03, ...Array(13).fill(1)])]) },
    { name: 'Ruuvi format 5 truncated', data: hex([...flags, ...ruuviRecord(5).slice(0, 12)]) },
    { name: 'Eddystone UID frame', data: hex(ad(0x16, [0xaa, 0xfe, 0x00, 0xe7, ...Array(16).fill(2)])) },
    { name: 'not hex', data: 'zz' + hex(ruuviRecord(5)) },
    { name: 'empty', data: '' },
  ])('no sequence in $name', ({ data }) => {
    expect(createExtractors(ALL).scan({ adData: data }, 'D', hit())).toBe(false);
  });

  it('builtins can be switched off', () => {
    const event = { adData: hex(ruuviRecord(3)), seqNum: 4 };
    expect(createExtractors(seq(['eddystone-tlm'])).scan(event, 'D', hit())).toBe(false);
    expect(createExtractors(seq(['ruuvi'])).notification(event, 'D', hit())).toBe(false);
  });

  it.each([
    { event: { value: '00', handle: 52, id: 'X', seqNum: 17 }, ok: true, seq: 17 },
    { event: { value: '00', handle: 52, id: 'X', seqNum: -1 }, ok: false, seq: -1 },
    { event: { value: '00', handle: 52, id: 'X', seqNum: '17' }, ok: false, seq: -1 },
    { event: { value: '00', handle: 52, id: 'X' }, ok: false, seq: -1 },
  ])('notification seqNum $event.seqNum', ({ event, ok, seq: n }) => {
    const out = hit();
    expect(createExtractors(ALL).notification(event, 'X', out)).toBe(ok);
    expect(out.seq).toBe(n);
  });
});

describe('user-defined extractors', () => {
  const counter: SequenceExtractor = { name: 'c', stream: 'notification', handle: 36, offset: 1, length: 2, endian: 'little' };
  const mfr: SequenceExtractor = { name: 'm', stream: 'scan', manufacturerId: 0x0059, offset: 0, length: 4, endian: 'big', wrap: 1000 };

  it('reads a little-endian counter from the configured handle', () => {
    const out = hit();
    const x = createExtractors(seq([], [counter]));
    expect(x.notification({ value: hex([0xaa, 0x34, 0x12, 0xbb]), handle: '36' }, 'DEV', out)).toBe(true);
    expect(out).toEqual({ key: 'u0|DEV|36', seq: 0x1234, modulus: 65536 });
    expect(x.notification({ value: hex([0xaa, 0x34, 0x12]), handle: 37 }, 'DEV', hit())).toBe(false);
    expect(x.notification({ value: hex([0xaa, 0x34]), handle: 36 }, 'DEV', hit())).toBe(false);
  });

  it('reads a big-endian counter after the manufacturer id, with wrap', () => {
    const out = hit();
    const x = createExtractors(seq([], [mfr]));
    const data = hex([...flags, ...ad(0xff, [0x59, 0x00, 0x00, 0x00, 0x0b, 0xb9])]); // 3001
    expect(x.scan({ adData: data }, 'DEV', out)).toBe(true);
    expect(out).toEqual({ key: 'u0|DEV', seq: 1, modulus: 1000 });
    const other = hex(ad(0xff, [0x4c, 0x00, 0, 0, 0, 1]));
    expect(x.scan({ adData: other }, 'DEV', hit())).toBe(false);
  });

  it.each([
    { h: '0102', at: 0, len: 2, endian: 'big' as const, want: 0x0102 },
    { h: '0102', at: 0, len: 2, endian: 'little' as const, want: 0x0201 },
    { h: 'ffffffff', at: 0, len: 4, endian: 'big' as const, want: 2 ** 32 - 1 },
    { h: '0102', at: 1, len: 2, endian: 'big' as const, want: -1 },
  ])('hexUint($h, $at, $len, $endian)', ({ h, at, len, endian, want }) => {
    expect(hexUint(h, at, len, endian)).toBe(want);
  });
});
