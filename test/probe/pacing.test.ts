import { describe, expect, it } from 'vitest';
import {
  JITTER, MAX_BACKOFF_TURNS, OFFLINE_EVERY, createStartGate, createTurnState, jittered, paceFor, resumeAt, settle, takeTurn,
} from '../../src/probe/pacing.js';
import { resultOfFailure, resultOfStatus, sniff, probePath } from '../../src/probe/probe-once.js';

describe('paceFor', () => {
  it.each<[number, number, number, { spacingMs: number; cycleMs: number; capped: boolean }]>([
    // gateways, interval ms, maxPerSecond → pace
    [1, 30_000, 2, { spacingMs: 30_000, cycleMs: 30_000, capped: false }],
    [60, 30_000, 2, { spacingMs: 500, cycleMs: 30_000, capped: false }],
    [61, 30_000, 2, { spacingMs: 500, cycleMs: 30_500, capped: true }],
    [1000, 30_000, 2, { spacingMs: 500, cycleMs: 500_000, capped: true }],
    [1000, 30_000, 40, { spacingMs: 30, cycleMs: 30_000, capped: false }],
    [0, 10_000, 0.5, { spacingMs: 10_000, cycleMs: 10_000, capped: false }],
    [10, 10_000, 0.5, { spacingMs: 2000, cycleMs: 20_000, capped: true }],
  ])('%i gateways every %i ms at most %d/s', (n, interval, rate, pace) => {
    expect(paceFor(n, interval, rate)).toEqual(pace);
  });
});

describe('jittered', () => {
  it.each<[number, number, number, number]>([
    [1000, 0, 0, 1000 * (1 - JITTER)],
    [1000, 0, 0.5, 1000],
    [1000, 0, 0.999999, 1000 * (1 + JITTER * 0.999998)],
    [500, 500, 0, 500], // never below the rate cap's spacing
  ])('%i ms, floor %i, draw %d → %d', (spacing, floor, u, expected) => {
    expect(jittered(spacing, floor, u)).toBeCloseTo(expected, 6);
  });
});

describe('resumeAt', () => {
  const ring = ['A', 'C', 'E'];
  it.each<[string | null, number]>([[null, 0], ['A', 1], ['B', 1], ['C', 2], ['E', 3], ['F', 3]])('after %s → %i', (last, index) => {
    expect(resumeAt(ring, last)).toBe(index);
  });
});

describe('turns', () => {
  it('one probe in flight per gateway', () => {
    const s = createTurnState();
    expect(takeTurn(s, false)).toBe(true);
    s.inFlight = true;
    expect(takeTurn(s, false)).toBe(false);
  });

  it(`a gateway known offline is probed on every ${OFFLINE_EVERY}th turn, the first at once; back online, every turn`, () => {
    const s = createTurnState();
    const offline = Array.from({ length: 2 * OFFLINE_EVERY }, () => takeTurn(s, true));
    expect(offline).toEqual([true, false, false, false, true, false, false, false].slice(0, 2 * OFFLINE_EVERY));
    expect([takeTurn(s, false), takeTurn(s, false)]).toEqual([true, true]);
    expect(takeTurn(s, true)).toBe(true);
  });

  it('busy answers back off 1, 3, 7, 7 turns; any other answer ends it', () => {
    const s = createTurnState();
    const sitOut = (): number => {
      let n = 0;
      while (!takeTurn(s, false)) n++;
      return n;
    };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      settle(s, true);
      seen.push(sitOut());
    }
    expect(seen).toEqual([1, 3, 7, MAX_BACKOFF_TURNS]);
    settle(s, false);
    settle(s, true);
    expect(sitOut()).toBe(1);
  });
});

describe('start gate', () => {
  it('spaces starts 1000/maxPerSecond apart whatever the callers\' timing', () => {
    let t = 0;
    const gate = createStartGate(() => t);
    const starts: number[] = [];
    for (const at of [0, 0, 0, 100, 900, 2000, 2100]) {
      t = at;
      starts.push(at + gate.wait(4));
    }
    expect(starts).toEqual([0, 250, 500, 750, 1000, 2000, 2250]);
  });
});

describe('one probe\'s result', () => {
  it.each<[number, string]>([[200, 'ok'], [204, 'ok'], [502, '502'], [504, '504'], [500, 'error'], [403, 'error'], [404, 'error'], [301, 'error']])(
    'status %i → %s', (status, result) => expect(resultOfStatus(status)).toBe(result));

  it.each<[string, 'connect' | 'headers', string | null]>([
    ['ECONNREFUSED', 'connect', 'unreachable'],
    ['ENOTFOUND', 'connect', 'unreachable'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect', 'unreachable'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'connect', 'unreachable'],
    ['UND_ERR_HEADERS_TIMEOUT', 'headers', 'timeout'],
    ['UND_ERR_SOCKET', 'headers', 'error'],
    ['ECONNRESET', 'headers', 'error'],
    ['HPE_INVALID_STATUS', 'headers', 'error'],
    ['UND_ERR_DESTROYED', 'headers', null],
    ['UND_ERR_CLOSED', 'connect', null],
  ])('%s while %s → %s', (code, phase, result) => {
    expect(resultOfFailure({ code, message: 'other side closed' }, phase)).toBe(result);
  });

  it.each<[number, string, string | null]>([
    [500, 'chip is busy', 'busy'],
    [500, 'no resources', 'busy'],
    [502, 'gateway offline', 'offline'],
    [500, 'gateway is offline', 'offline'],
    [502, '<html><head><title>502 Bad Gateway</title></head></html>', null],
    [500, 'device not found', null],
    [200, '{"nodes":[],"note":"offline"}', null],
    // The words of the proxy's own classification (classify/ac-error.ts), in any case.
    [500, 'Chip is busy', 'busy'],
    [403, '{"error":"forbidden","error_description":"Token not found or expired"}', null],
    [500, 'device offline', null],
    [302, 'gateway offline', null],
  ])('%i %j says %s', (status, text, said) => expect(sniff(status, text)).toBe(said));

  it.each<['connected-devices' | 'info', string]>([
    ['connected-devices', '/base/api/gap/nodes?connection_state=connected&mac=CC:1B:E0:E0:00:01'],
    ['info', '/base/api/cassia/info?mac=CC:1B:E0:E0:00:01'],
  ])('%s asks %s', (call, path) => expect(probePath('/base', call, 'CC:1B:E0:E0:00:01')).toBe(path));
});
