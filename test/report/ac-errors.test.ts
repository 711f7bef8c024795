/** Which error kinds differ between the transports, and whose doing they are: compareAcErrors. */
import { describe, expect, it } from 'vitest';
import { compareAcErrors } from '../../src/report/ac-errors.js';
import { emptyCounters, emptyProbeCounters, toFigures, toProbeFigures } from '../../src/report/figures.js';
import { F, acErrorField } from '../../src/report/ring.js';
import type { TransportFigures } from '../../src/report/types.js';
import type { AcError } from '../../src/vocabulary.js';

/** A transport with `requests` requests and these error answers since start. */
function transport(name: string, requests: number, errors: Partial<Record<AcError, number>>): TransportFigures {
  const c = emptyCounters();
  c[F.requests] = requests;
  for (const [word, n] of Object.entries(errors)) c[acErrorField(word as AcError)] = n;
  const figures = toFigures(c);
  const empty = { start: '', bucketSeconds: 10, requests: [], errors: [], errorRate: [], lossDenominator: [], missing: [], lossRatio: [] };
  const probes = toProbeFigures(emptyProbeCounters());
  return { transport: name, gateways: 1, window: figures, sinceStart: figures, probes: { window: probes, sinceStart: probes }, series: empty };
}

describe('compareAcErrors', () => {
  const transports = [
    transport('capwap', 10_000, { operation_timeout: 500, chip_busy: 80, device_not_found: 30, other: 1 }),
    transport('mqtt', 10_000, { operation_timeout: 100, chip_busy: 78, device_not_found: 25 }),
    transport('none', 500, { token_expired: 40 }),
  ];
  const out = compareAcErrors(transports, 200);

  it('lists every word answered anywhere, the differing ones first, then by count', () => {
    expect(out.map((c) => c.error)).toEqual(['operation_timeout', 'chip_busy', 'device_not_found', 'token_expired', 'other']);
  });

  it.each([
    // word, differs, ratio, cause
    ['operation_timeout', true, 5, 'gateway'],
    ['chip_busy', false, 80 / 78, 'application'],
    ['device_not_found', false, 1.2, 'gateway'],
    ['token_expired', false, null, 'application'],
    ['other', false, null, 'unknown'],
  ] as const)('%s: differs %s, ratio %s, %s', (word, differs, ratio, cause) => {
    const c = out.find((x) => x.error === word);
    expect(c?.differs).toBe(differs);
    if (ratio === null) expect(c?.ratio).toBeNull();
    else expect(c?.ratio).toBeCloseTo(ratio, 9);
    expect(c?.cause).toBe(cause);
  });

  it('gives each transport its share with a Wilson interval', () => {
    const timeout = out.find((c) => c.error === 'operation_timeout');
    expect(timeout?.transports.map((t) => [t.transport, t.rate.count, t.rate.total, t.rate.rate])).toEqual([
      ['capwap', 500, 10_000, 0.05], ['mqtt', 100, 10_000, 0.01], ['none', 0, 500, 0],
    ]);
    const [low, high] = timeout?.transports[0]?.rate.ci95 ?? [0, 0];
    expect(low).toBeLessThan(0.05);
    expect(high).toBeGreaterThan(0.05);
  });

  it('says whose doing it is in the sentence', () => {
    expect(out.find((c) => c.error === 'chip_busy')?.reason).toMatch(/^the application's own doing \(calls to one gateway overlapping.*whatever the transport; 0\.80% of CAPWAP requests vs 0\.78% of MQTT \(1\.0×\), intervals overlap/);
    expect(out.find((c) => c.error === 'operation_timeout')?.reason).toMatch(/^the gateway side: where a transport can matter; 5\.00% of CAPWAP requests vs 1\.00% of MQTT \(5\.0×\), 95% intervals apart/);
  });

  it('does not compare without enough requests on both sides', () => {
    const few = compareAcErrors([transport('capwap', 150, { operation_timeout: 100 }), transport('mqtt', 10_000, { operation_timeout: 1 })], 200);
    expect(few[0]?.differs).toBeNull();
    expect(few[0]?.reason).toMatch(/not enough requests to compare \(≥ 200 on each\)/);
    expect(compareAcErrors([transport('capwap', 10_000, {})], 200)).toEqual([]);
  });
});
