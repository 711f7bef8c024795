/**
 * Formatting for the status page: the functions that return `string` return text (escaped
 * wherever it is interpolated), the one that returns `SafeHtml` returns markup.
 */
import { html, type SafeHtml } from './html-template.js';
import type { Ratio } from './types.js';

/** A rate as a percentage with two decimals, `—` when undefined. */
export function pct(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(2)}%`;
}

/** An integer with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds, `—` when unknown. */
export function ms(value: number | null): string {
  if (value === null) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

/** `1.23% (45 / 3,650)`: a rate with the counts behind it, as a table cell body. */
export function ratioCell(r: Ratio): SafeHtml {
  return html`<span class="rate">${pct(r.rate)}</span> <span class="cnt">(${int(r.count)} / ${int(r.total)})</span>`;
}

/** Confidence (1 - p) as a percentage, e.g. `99.9%`. */
export function confidence(c: number | null): string {
  if (c === null) return '—';
  return c >= 0.9999 ? '>99.99%' : `${(c * 100).toFixed(c >= 0.999 ? 2 : 1)}%`;
}

/** Minutes/seconds ago of an ISO time relative to `nowIso`. */
export function ago(iso: string | null, nowIso: string): string {
  if (iso === null) return 'never';
  const s = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
