// The verdict core against independently computed values: every expected number below was
// computed with SciPy 1.17 (scipy.stats.t, scipy.stats.ttest_ind) from the formulas in
// src/report/verdict.ts, not with this module. Student's sleep data (1908) is R's `t.test`
// example: t = −1.8608, df = 18, p = 0.07919.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY, alphaAt, aboveMqtt, changeTest, decide, lookAtMs, lookOf, studentT, transportTest,
  type MinuteSums, type Sample, type Tally,
} from '../../src/report/verdict.js';
import { tUpperTail } from '../../src/report/stats.js';

const sample = (xs: number[]): Sample => {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { count: xs.length, mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) };
};

const minutes = (list: Array<[number, number]>): MinuteSums => ({
  buckets: list.length,
  k: list.reduce((a, [k]) => a + k, 0),
  n: list.reduce((a, [, n]) => a + n, 0),
  kkn: list.reduce((a, [k, n]) => a + (k * k) / n, 0),
});

describe("Student's t", () => {
  it("matches R's t.test on the sleep data", () => {
    const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const { t, df } = studentT(sample(g1), sample(g2));
    expect(t).toBeCloseTo(-1.8608134674868524, 10);
    expect(df).toBe(18);
    expect(2 * tUpperTail(Math.abs(t), df)).toBeCloseTo(0.07918671421593822, 10);
  });

  it.each([
    [4.540702858568132, 3, 0.01],
    [2.228138851986274, 10, 0.025],
    [6.313751514675043, 1, 0.05],
    [10, 2.5, 0.0022207478836537117],
    [40, 6, 8.159180465271234e-9],
  ])('P(T > %f) with %f degrees of freedom = %f', (t, df, p) => {
    expect(tUpperTail(t, df) / p).toBeCloseTo(1, 8);
  });

  it('a floor keeps agreeing samples from looking precise', () => {
    const same = { count: 3, mean: 1, variance: 0 };
    expect(studentT({ ...same, mean: 2 }, same, 0.25).t).toBeCloseTo(1 / Math.sqrt(0.25 * (2 / 3)), 12);
  });
});

describe('looks and alpha spending', () => {
  it.each([
    [0, 0], [29_999, 0], [30_000, 1], [59_999, 1], [60_000, 2], [119_999, 2], [120_000, 3], [86_400_000, 12],
  ])('%i ms after the start is look %i', (ms, j) => {
    expect(lookOf(ms)).toBe(j);
  });

  it('look j is due at 30 s · 2^(j−1), and the levels of all looks sum to α', () => {
    expect([1, 2, 3, 4].map(lookAtMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
    let sum = 0;
    for (let j = 1; j < 400; j++) sum += alphaAt(0.01, j);
    expect(sum).toBeCloseTo(0.01, 12);
    expect(alphaAt(0.01, 0)).toBe(0);
    expect(alphaAt(0.01, 2)).toBeLessThan(alphaAt(0.01, 1));
  });
});

describe('transport test (gateways as units, log rates)', () => {
  const capwap: Tally[] = [{ k: 30, n: 1000 }, { k: 25, n: 900 }, { k: 40, n: 1100 }, { k: 33, n: 1000 }];
  const mqtt: Tally[] = [{ k: 2, n: 1000 }, { k: 1, n: 1000 }, { k: 3, n: 1200 }, { k: 0, n: 900 }];

  it('CAPWAP gateways at ~3 % against MQTT gateways at ~0.2 %', () => {
    const r = transportTest('errors', capwap, mqtt, 0.001, DEFAULT_POLICY);
    expect(r.missing).toBeNull();
    expect(r.t).toBeCloseTo(7.972519857003255, 8);
    expect(r.df).toBe(6);
    expect((r.pValue ?? 0) / 0.00010369284640085497).toBeCloseTo(1, 6);
    expect(r.worse).toBe(true);
    expect(r.pooled).toBeCloseTo(0.016602888532279966, 12);
  });

  it('the same evidence is not enough at a stricter look', () => {
    expect(transportTest('errors', capwap, mqtt, 0.0001, DEFAULT_POLICY).worse).toBe(false);
  });

  it('one gateway above the MQTT prediction bound', () => {
    const r = transportTest('errors', capwap, mqtt, 0.001, DEFAULT_POLICY);
    const a = aboveMqtt({ k: 30, n: 1000 }, r, DEFAULT_POLICY);
    expect(a.t).toBeCloseTo(3.4070830121563667, 8);
    expect(a.df).toBe(3);
    expect(a.pValue / 0.021120502248518486).toBeCloseTo(1, 6);
    expect(a.above).toBe(true);
  });

  it.each([
    ['one MQTT gateway cannot show how much gateways differ', [{ k: 30, n: 1000 }], [{ k: 1, n: 1000 }], 'at least 2 are needed'],
    ['MQTT gateways with too few calls do not count', [{ k: 30, n: 1000 }], [{ k: 0, n: 19 }, { k: 0, n: 5 }], '0 MQTT gateways'],
    ['no CAPWAP gateway with enough calls', [{ k: 3, n: 10 }], [{ k: 1, n: 1000 }, { k: 2, n: 1000 }], 'no CAPWAP gateway'],
  ])('%s', (_name, c, m, why) => {
    const r = transportTest('errors', c, m, 0.01, DEFAULT_POLICY);
    expect(r.pValue).toBeNull();
    expect(r.worse).toBe(false);
    expect(r.missing).toContain(why);
  });

  it('a significant but immaterial difference is not "worse"', () => {
    const c = [{ k: 1200, n: 100_000 }, { k: 1210, n: 100_000 }, { k: 1190, n: 100_000 }];
    const m = [{ k: 1000, n: 100_000 }, { k: 1010, n: 100_000 }, { k: 990, n: 100_000 }];
    const r = transportTest('errors', c, m, 0.01, DEFAULT_POLICY);
    expect(r.pValue).toBeLessThan(0.01);
    expect(r.worse).toBe(false);
  });
});

describe('before/after test (minutes as units, quasi-binomial)', () => {
  it('a clear improvement over five minutes each', () => {
    const r = changeTest('errors', minutes([[3, 100], [5, 100], [4, 100], [4, 100], [5, 100]]),
      minutes([[0, 100], [1, 100], [0, 100], [0, 100], [1, 100]]), 0.05, DEFAULT_POLICY);
    expect(r.t).toBeCloseTo(3.9682165518234704, 8);
    // The shorter period's minutes set the degrees of freedom: 5 − 1.
    expect(r.df).toBe(4);
    expect((r.pValue ?? 0) / 0.016563369557535373).toBeCloseTo(1, 6);
    expect(r.direction).toBe('improved');
  });

  it('three minutes after a change are few: the same difference is not yet significant', () => {
    const r = changeTest('errors', minutes([[3, 100], [5, 100], [4, 100]]), minutes([[0, 100], [1, 100], [0, 100]]), 0.05, DEFAULT_POLICY);
    expect(r.t).toBeCloseTo(3.030544826229726, 8);
    expect(r.df).toBe(2);
    expect((r.pValue ?? 0) / 0.09381219752045164).toBeCloseTo(1, 6);
    expect(r.direction).toBeNull();
  });

  it('one bad minute is not an improvement: the dispersion of the minutes widens the test', () => {
    const r = changeTest('errors', minutes([[0, 100], [20, 100], [0, 100], [1, 100]]), minutes([[0, 100], [0, 100], [1, 100]]), 0.05, DEFAULT_POLICY);
    expect(r.t).toBeCloseTo(0.8432185997286752, 8);
    expect((r.pValue ?? 0) / 0.48787732114071514).toBeCloseTo(1, 6);
    expect(r.direction).toBeNull();
  });

  it('worse, symmetrically', () => {
    const r = changeTest('errors', minutes([[0, 100], [1, 100], [0, 100], [0, 100], [1, 100]]),
      minutes([[3, 100], [5, 100], [4, 100], [4, 100], [5, 100]]), 0.05, DEFAULT_POLICY);
    expect(r.direction).toBe('worse');
  });

  it('needs three minutes on each side', () => {
    const r = changeTest('errors', minutes([[3, 100], [5, 100], [4, 100]]), minutes([[0, 500], [0, 500]]), 0.05, DEFAULT_POLICY);
    expect(r.missing).toContain('3 minutes');
    expect(r.direction).toBeNull();
  });
});

describe('decide', () => {
  const gw = (gateway: string, transport: string, errors: Tally): { gateway: string; transport: string; tallies: { errors: Tally } } =>
    ({ gateway, transport, tallies: { errors } });

  it('advises the CAPWAP gateways above the MQTT bound, not the one that looks like MQTT', () => {
    const v = decide([
      gw('C1', 'capwap', { k: 30, n: 1000 }), gw('C2', 'capwap', { k: 25, n: 900 }), gw('C3', 'capwap', { k: 40, n: 1100 }),
      gw('C4', 'capwap', { k: 2, n: 1000 }),
      gw('M1', 'mqtt', { k: 2, n: 1000 }), gw('M2', 'mqtt', { k: 1, n: 1000 }), gw('M3', 'mqtt', { k: 3, n: 1200 }), gw('M4', 'mqtt', { k: 0, n: 900 }),
    ], 0.01);
    expect(v.transport[0]?.worse).toBe(true);
    expect([...v.gateways].map(([g, d]) => [g, d.verdict])).toEqual([
      ['C1', 'move_to_mqtt'], ['C2', 'move_to_mqtt'], ['C3', 'move_to_mqtt'], ['C4', 'no_clear_benefit'],
    ]);
    expect(v.gateways.get('C1')?.decidedBy).toEqual(['errors']);
  });

  it('a bad CAPWAP gateway is not advised to move while CAPWAP as a whole is not worse', () => {
    const v = decide([
      gw('C1', 'capwap', { k: 60, n: 1000 }), gw('C2', 'capwap', { k: 2, n: 1000 }), gw('C3', 'capwap', { k: 3, n: 1000 }),
      gw('M1', 'mqtt', { k: 2, n: 1000 }), gw('M2', 'mqtt', { k: 1, n: 1000 }), gw('M3', 'mqtt', { k: 3, n: 1200 }),
    ], 0.01);
    expect(v.transport[0]?.worse).toBe(false);
    expect(v.gateways.get('C1')?.verdict).toBe('no_clear_benefit');
  });

  it('shares the level among the measures it can test', () => {
    const t: Tally = { k: 10, n: 1000 };
    const v = decide([
      { gateway: 'C1', transport: 'capwap', tallies: { errors: t, loss: t } },
      { gateway: 'M1', transport: 'mqtt', tallies: { errors: t, loss: t } },
      { gateway: 'M2', transport: 'mqtt', tallies: { errors: t, loss: t } },
    ], 0.01);
    expect(v.transport.map((x) => x.level)).toEqual([0.005, 0.005]);
  });

  it('insufficient data without enough calls anywhere', () => {
    const v = decide([gw('C1', 'capwap', { k: 1, n: 5 }), gw('M1', 'mqtt', { k: 0, n: 5 })], 0.01);
    expect(v.gateways.get('C1')?.verdict).toBe('insufficient_data');
  });
});
