/**
 * Where sequence numbers hide in Cassia events: notification `seqNum`, RuuviTag data format 5
 * measurement sequence and Eddystone-TLM ADV_CNT inside scan advertising data, and counters at
 * user-configured offsets. Hex is read straight from the JSON string (no Buffer per event).
 */
import type { Config, SequenceExtractor } from '../config/types.js';

/** Filled by an extractor: the source key (within one stream and gateway), number and wrap. */
export interface SequenceHit {
  key: string;
  seq: number;
  /** Counter modulus; 0 = unbounded. */
  modulus: number;
}

/** Key prefix of the notification `seqNum` source (the one `sequence=2` adds). */
const SEQNUM_KEY = 's|';

/** Whether `hit` is a notification's `seqNum` (not a beacon counter or a user extractor's). */
export function isSeqNumHit(hit: SequenceHit): boolean {
  return hit.key.startsWith(SEQNUM_KEY);
}

/** The parsed JSON of one event, loosely typed (fields are checked where read). */
export type EventRecord = Record<string, unknown>;

export interface Extractors {
  /** First sequence number found in a notification event, or false. `device` names the source. */
  notification(event: EventRecord, device: string, out: SequenceHit): boolean;
  /** First sequence number found in a scan event's adData/scanData, or false. */
  scan(event: EventRecord, device: string, out: SequenceHit): boolean;
}

const RUUVI_COMPANY = 0x0499;
const EDDYSTONE_UUID = 0xfeaa;
const RUUVI_SEQ_OFFSET = 16; // in the format-5 payload, counting the 0x05 byte as 0
const TLM_ADV_CNT_OFFSET = 6; // in the TLM frame, counting the 0x20 byte as 0

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Byte `i` of a hex string, or -1 when absent or not hex. */
export function hexByte(hex: string, i: number): number {
  const p = i * 2;
  if (p + 1 >= hex.length) return -1;
  const hi = hexNibble(hex.charCodeAt(p));
  const lo = hexNibble(hex.charCodeAt(p + 1));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/** Unsigned integer of `length` bytes at byte `at` of a hex string; -1 when out of range. */
export function hexUint(hex: string, at: number, length: number, endian: 'big' | 'little'): number {
  let v = 0;
  for (let k = 0; k < length; k++) {
    const b = hexByte(hex, at + (endian === 'big' ? k : length - 1 - k));
    if (b < 0) return -1;
    v = v * 256 + b;
  }
  return v;
}

/**
 * Walks the AD structures (length, type, data) of advertising hex and calls `visit` with the
 * type and the byte range of the data; stops when `visit` returns true.
 */
export function forEachAdStructure(hex: string, visit: (type: number, start: number, end: number) => boolean): boolean {
  const total = hex.length >>> 1;
  let i = 0;
  while (i < total) {
    const len = hexByte(hex, i);
    if (len <= 0 || i + 1 + len > total) return false; // 0 = padding; truncated = malformed tail
    const type = hexByte(hex, i + 1);
    if (type >= 0 && visit(type, i + 2, i + 1 + len)) return true;
    i += 1 + len;
  }
  return false;
}

function hexField(event: EventRecord, name: string): string | null {
  const v = event[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Builds the extractor set that `config.sequence` switches on. */
export function createExtractors(sequence: Config['sequence']): Extractors {
  const seqNum = sequence.builtin.includes('seqNum');
  const ruuvi = sequence.builtin.includes('ruuvi');
  const tlm = sequence.builtin.includes('eddystone-tlm');
  const userNotify = sequence.extractors.map((x, i) => ({ x, i })).filter((e) => e.x.stream === 'notification');
  const userScan = sequence.extractors.map((x, i) => ({ x, i })).filter((e) => e.x.stream === 'scan');

  function userValue(x: SequenceExtractor, hex: string, at: number, out: SequenceHit, key: string): boolean {
    const v = hexUint(hex, at + x.offset, x.length, x.endian);
    if (v < 0) return false;
    const mod = x.wrap ?? 2 ** (8 * x.length);
    out.key = key;
    out.seq = v % mod;
    out.modulus = mod;
    return true;
  }

  function scanHex(hex: string, device: string, out: SequenceHit): boolean {
    return forEachAdStructure(hex, (type, s, e) => {
      if (type === 0xff && e - s >= 3) {
        const company = hexUint(hex, s, 2, 'little');
        if (ruuvi && company === RUUVI_COMPANY && hexByte(hex, s + 2) === 5 && e - (s + 2) >= RUUVI_SEQ_OFFSET + 2) {
          out.key = `r|${device}`;
          out.seq = hexUint(hex, s + 2 + RUUVI_SEQ_OFFSET, 2, 'big');
          out.modulus = 65536;
          return true;
        }
        for (const { x, i } of userScan) {
          if (x.manufacturerId !== undefined && x.manufacturerId !== company) continue;
          if (s + 2 + x.offset + x.length > e) continue;
          if (userValue(x, hex, s + 2, out, `u${i}|${device}`)) return true;
        }
      } else if (tlm && type === 0x16 && e - s >= 2 + TLM_ADV_CNT_OFFSET + 4) {
        if (hexUint(hex, s, 2, 'little') === EDDYSTONE_UUID && hexByte(hex, s + 2) === 0x20 && hexByte(hex, s + 3) === 0) {
          out.key = `e|${device}`;
          out.seq = hexUint(hex, s + 2 + TLM_ADV_CNT_OFFSET, 4, 'big');
          out.modulus = 2 ** 32;
          return true;
        }
      }
      return false;
    });
  }

  return {
    notification(event, device, out) {
      if (seqNum) {
        const n = event.seqNum;
        if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) {
          out.key = SEQNUM_KEY + device;
          out.seq = n;
          out.modulus = 0;
          return true;
        }
      }
      if (userNotify.length === 0) return false;
      const value = hexField(event, 'value');
      if (value === null) return false;
      const handle = event.handle === undefined ? '' : String(event.handle);
      for (const { x, i } of userNotify) {
        if (x.handle !== undefined && Number(handle) !== x.handle) continue;
        if (userValue(x, value, 0, out, `u${i}|${device}|${handle}`)) return true;
      }
      return false;
    },
    scan(event, device, out) {
      if (!ruuvi && !tlm && userScan.length === 0) return false;
      const ad = hexField(event, 'adData');
      if (ad !== null && scanHex(ad, device, out)) return true;
      const sd = hexField(event, 'scanData');
      return sd !== null && scanHex(sd, device, out);
    },
  };
}
