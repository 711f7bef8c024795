import { describe, expect, it } from 'vitest';
import { isGatewayPool, normalizeMac, NO_GATEWAY, OVERFLOW_GATEWAY, TRANSPORT_LABELS, TRANSPORTS } from '../src/vocabulary.js';

describe('normalizeMac', () => {
  it.each([
    ['CC:1B:E0:E0:00:01', 'CC:1B:E0:E0:00:01'],
    ['cc:1b:e0:e0:00:01', 'CC:1B:E0:E0:00:01'],
    ['CC-1B-E0-E0-00-01', 'CC:1B:E0:E0:00:01'],
    ['cc1be0e00001', 'CC:1B:E0:E0:00:01'],
    ['Cc:1b:E0:e0:0A:fF', 'CC:1B:E0:E0:0A:FF'],
  ])('%s → %s', (raw, normal) => {
    expect(normalizeMac(raw)).toBe(normal);
  });

  it.each([
    [''],
    ['none'],
    ['CC:1B:E0:E0:00'], // five bytes
    ['CC:1B:E0:E0:00:01:02'], // seven
    ['CC:1B-E0:E0:00:01'], // mixed separators
    ['CC:1B:E0:E0:00:0G'], // not hex
    ['CC1BE0E0000'], // eleven digits
    [' CC:1B:E0:E0:00:01'], // padded
    ['CC::1B:E0:E0:00:01'],
  ])('%j is not a MAC', (raw) => {
    expect(normalizeMac(raw)).toBeNull();
  });
});

describe('label words', () => {
  it('lists `none` as a transport label after the transports a gateway can have', () => {
    expect(TRANSPORT_LABELS).toEqual([...TRANSPORTS, 'none']);
  });

  it.each([
    [NO_GATEWAY, true],
    [OVERFLOW_GATEWAY, true],
    ['CC:1B:E0:E0:00:01', false],
    ['', false],
    ['None', false],
  ])('isGatewayPool(%j) is %s', (label, pool) => {
    expect(isGatewayPool(label)).toBe(pool);
  });
});
