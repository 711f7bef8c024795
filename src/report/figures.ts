/** Turns raw FIELDS counters (ring sums or totals) into the report's Figures. */
import { histogramQuantile, wilson } from './stats.js';
import { AC_ERRORS, type AcError } from '../vocabulary.js';
import { F, FIELDS, HEADERS_BOUNDS_MS, P, PROBE_FIELDS, acErrorField } from './ring.js';
import type { Figures, ProbeFigures, Ratio } from './types.js';

/** A ratio with its counts and Wilson interval. */
export function ratio(count: number, total: number): Ratio {
  return { count, total, rate: total > 0 ? count / total : null, ci95: wilson(count, total) };
}

/** Fresh zeroed counters (the FIELDS layout, or PROBE_FIELDS for probe counters). */
export function emptyCounters(width: number = FIELDS): Float64Array {
  return new Float64Array(width);
}

/** Fresh zeroed probe counters (the PROBE_FIELDS layout of ring.ts). */
export const emptyProbeCounters = (): Float64Array => emptyCounters(PROBE_FIELDS);

/** Adds `src` into `dst` field by field (both of one layout). */
export function addCounters(dst: Float64Array, src: Float64Array): void {
  for (let f = 0; f < dst.length; f++) dst[f] = (dst[f] ?? 0) + (src[f] ?? 0);
}

const round = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 10) / 10);

/** p50, p99 and the sample count of a histogram over HEADERS_BOUNDS_MS. */
function quantiles(hist: Float64Array): { p50: number | null; p99: number | null; samples: number } {
  let samples = 0;
  for (const n of hist) samples += n;
  return {
    p50: round(histogramQuantile(HEADERS_BOUNDS_MS, hist, 0.5)),
    p99: round(histogramQuantile(HEADERS_BOUNDS_MS, hist, 0.99)),
    samples,
  };
}

/** Probe figures from one PROBE_FIELDS counter array. */
export function toProbeFigures(c: Float64Array): ProbeFigures {
  const v = (f: number): number => c[f] ?? 0;
  const sent = v(P.sent);
  const failed = v(P.status502) + v(P.status504) + v(P.timeout);
  return {
    sent,
    ok: v(P.ok),
    status502: v(P.status502),
    status504: v(P.status504),
    timeout: v(P.timeout),
    error: v(P.error),
    unreachable: v(P.unreachable),
    offline: v(P.offline),
    failures: ratio(failed, sent - v(P.unreachable)),
    rttMs: quantiles(c.subarray(P.hist, P.hist + HEADERS_BOUNDS_MS.length + 1)),
  };
}

/** Figures from one counter array. */
export function toFigures(c: Float64Array): Figures {
  const v = (f: number): number => c[f] ?? 0;
  const requests = v(F.requests);
  const up502 = v(F.upstream502);
  const px502 = v(F.proxy502);
  const up504 = v(F.upstream504);
  const px504 = v(F.proxy504);
  const hist = c.subarray(F.hist, F.hist + HEADERS_BOUNDS_MS.length + 1);
  const sequenced = v(F.sequenced);
  const missing = v(F.missing);
  return {
    requests,
    clientAborts: v(F.clientAborts),
    status502: { upstream: ratio(up502, requests), proxy: ratio(px502, requests), all: ratio(up502 + px502, requests) },
    status504: { upstream: ratio(up504, requests), proxy: ratio(px504, requests), all: ratio(up504 + px504, requests) },
    errors: ratio(up502 + px502 + up504 + px504, requests),
    headersMs: quantiles(hist),
    events: v(F.events),
    sequenced,
    missing,
    outOfOrder: v(F.outOfOrder),
    duplicate: v(F.duplicate),
    sequenceRequested: v(F.sequenceRequested),
    loss: ratio(missing, sequenced + missing),
    outages: v(F.outages),
    outageErrors: v(F.outageErrors),
    acErrors: acErrorCounts(c),
  };
}

/** The error answers of one counter array by word, every word present. */
function acErrorCounts(c: Float64Array): Record<AcError, number> {
  const out = {} as Record<AcError, number>;
  for (const error of AC_ERRORS) out[error] = c[acErrorField(error)] ?? 0;
  return out;
}
