/** Turns raw FIELDS counters (ring sums or totals) into the report's Figures. */
import { histogramQuantile, wilson } from './stats.js';
import { AC_ERRORS, type AcError } from '../vocabulary.js';
import { F, FIELDS, HEADERS_BOUNDS_MS, acErrorField } from './ring.js';
import type { Figures, Ratio } from './types.js';

/** A ratio with its counts and Wilson interval. */
export function ratio(count: number, total: number): Ratio {
  return { count, total, rate: total > 0 ? count / total : null, ci95: wilson(count, total) };
}

/** Fresh zeroed counters. */
export function emptyCounters(): Float64Array {
  return new Float64Array(FIELDS);
}

/** Adds `src` into `dst` field by field. */
export function addCounters(dst: Float64Array, src: Float64Array): void {
  for (let f = 0; f < FIELDS; f++) dst[f] = (dst[f] ?? 0) + (src[f] ?? 0);
}

const round = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 10) / 10);

/** Figures from one counter array. */
export function toFigures(c: Float64Array): Figures {
  const v = (f: number): number => c[f] ?? 0;
  const requests = v(F.requests);
  const up502 = v(F.upstream502);
  const px502 = v(F.proxy502);
  const up504 = v(F.upstream504);
  const px504 = v(F.proxy504);
  const hist = c.subarray(F.hist, F.hist + HEADERS_BOUNDS_MS.length + 1);
  let samples = 0;
  for (const n of hist) samples += n;
  const sequenced = v(F.sequenced);
  const missing = v(F.missing);
  return {
    requests,
    clientAborts: v(F.clientAborts),
    status502: { upstream: ratio(up502, requests), proxy: ratio(px502, requests), all: ratio(up502 + px502, requests) },
    status504: { upstream: ratio(up504, requests), proxy: ratio(px504, requests), all: ratio(up504 + px504, requests) },
    errors: ratio(up502 + px502 + up504 + px504, requests),
    headersMs: {
      p50: round(histogramQuantile(HEADERS_BOUNDS_MS, hist, 0.5)),
      p99: round(histogramQuantile(HEADERS_BOUNDS_MS, hist, 0.99)),
      samples,
    },
    events: v(F.events),
    sequenced,
    missing,
    outOfOrder: v(F.outOfOrder),
    duplicate: v(F.duplicate),
    sequenceRequested: v(F.sequenceRequested),
    loss: ratio(missing, sequenced + missing),
    acErrors: acErrorCounts(c),
  };
}

/** The error answers of one counter array by word, every word present. */
function acErrorCounts(c: Float64Array): Record<AcError, number> {
  const out = {} as Record<AcError, number>;
  for (const error of AC_ERRORS) out[error] = c[acErrorField(error)] ?? 0;
  return out;
}
