/** Which error kinds differ between the transports, and whose doing they are: compareAcErrors. */
import { describe, expect, it } from 'vitest';
import { compareAcErrors } from '../../src/report/ac-errors.js';
import { emptyCounters, emptyProbeCounters, toFigures, toProbeFigures } from '../../src/report/figures.js';
import { F, acErrorField } from '../../src/report/ring.js';
import type { TransportFigures } from '../../src/report/types.js';
import { compareKinds, type GatewayEvidence } from '../../src/report/verdict.js';
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

/** Four gateways of a transport, each with 2,500 answered calls and these answers of each word. */
function gateways(transport: string, words: Partial<Record<AcError, number[]>>): GatewayEvidence[] {
  return [0, 1, 2, 3].map((i) => ({
    gateway: `${transport}-${i}`, transport, tallies: {},
    kinds: Object.fromEntries(Object.entries(words).map(([w, counts]) => [w, { k: counts[i] ?? 0, n: 2500 }])),
  }));
}

describe('compareKinds: CAPWAP gateways against MQTT gateways, each gateway one observation', () => {
  const evidence = [
    ...gateways('capwap', { operation_timeout: [120, 130, 125, 128], chip_busy: [20, 19, 21, 20] }),
    ...gateways('mqtt', { operation_timeout: [25, 24, 26, 25], chip_busy: [20, 20, 19, 21] }),
  ];
  const kinds = compareKinds(evidence, 0.01);

  it('operation timeouts five times as frequent on CAPWAP gateways differ (SciPy: t = 20.016, df 6, p = 1.0095e-6)', () => {
    const t = kinds.find((k) => k.kind === 'operation_timeout');
    expect(t?.t).toBeCloseTo(20.01590381125291, 8);
    expect(t?.df).toBe(6);
    expect((t?.pValue ?? 0) / 1.0094917867116895e-6).toBeCloseTo(1, 6);
    expect(t?.level).toBe(0.005); // shared between the two words
    expect(t?.differs).toBe(true);
  });

  it('chip is busy, alike on both, does not', () => {
    expect(kinds.find((k) => k.kind === 'chip_busy')?.differs).toBe(false);
  });

  it('a word only one transport has gateways for cannot be compared', () => {
    const one = compareKinds([...gateways('capwap', { token_expired: [5, 5, 5, 5] })], 0.01);
    expect(one[0]).toMatchObject({ kind: 'token_expired', differs: null, pValue: null });
  });
});

describe('compareAcErrors', () => {
  const transports = [
    transport('capwap', 10_000, { operation_timeout: 503, chip_busy: 80, other: 1 }),
    transport('mqtt', 10_000, { operation_timeout: 100, chip_busy: 80 }),
    transport('none', 500, { token_expired: 40 }),
  ];
  const kinds = compareKinds([
    ...gateways('capwap', { operation_timeout: [120, 130, 125, 128], chip_busy: [20, 19, 21, 20], other: [1, 0, 0, 0] }),
    ...gateways('mqtt', { operation_timeout: [25, 24, 26, 25], chip_busy: [20, 20, 19, 21], other: [0, 0, 0, 0] }),
  ], 0.01);
  const out = compareAcErrors(transports, kinds);

  it('lists every word answered anywhere, the differing ones first, then by count', () => {
    expect(out.map((c) => c.error)).toEqual(['operation_timeout', 'chip_busy', 'token_expired', 'other']);
  });

  it.each([
    // word, differs, ratio, cause
    ['operation_timeout', true, 5.03, 'gateway'],
    ['chip_busy', false, 1, 'application'],
    ['token_expired', null, null, 'application'],
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
    expect(timeout?.transports.map((t) => [t.transport, t.rate.count, t.rate.total])).toEqual([
      ['capwap', 503, 10_000], ['mqtt', 100, 10_000], ['none', 0, 500],
    ]);
    expect(timeout?.transports[0]?.rate.ci95?.[0]).toBeLessThan(0.0503);
  });

  it('says whose doing it is and what the comparison found in the sentence', () => {
    expect(out.find((c) => c.error === 'chip_busy')?.reason).toMatch(/^the application's own doing \(calls to one gateway overlapping.*whatever the transport; 0\.80% of CAPWAP requests vs 0\.80% of MQTT \(1\.0×\), no significant difference/);
    expect(out.find((c) => c.error === 'operation_timeout')?.reason).toMatch(/^the gateway side: where a transport can matter; 5\.03% of CAPWAP requests vs 1\.00% of MQTT \(5\.0×\), CAPWAP and MQTT gateways differ \(p=1\.0e-6, level 0\.0033\)/); // 0.01 shared by three words
  });

  it('compares nothing before the first look', () => {
    const early = compareAcErrors(transports, null);
    expect(early.every((c) => c.differs === null && c.pValue === null)).toBe(true);
    expect(early[0]?.reason).toMatch(/not compared yet/);
    expect(compareAcErrors([transport('capwap', 10_000, {})], null)).toEqual([]);
  });
});
