/**
 * Inline SVG charts for the status page: no scripts, no external assets. Values are numbers we
 * computed; labels and colours are interpolated like any other text, so they are escaped too.
 */
import { pct } from './format.js';
import { html, join, type SafeHtml } from './html-template.js';

/** One line of a chart. */
export interface Line {
  label: string;
  colour: string;
  /** One value per bucket, null where there was no traffic (drawn as a gap). */
  values: Array<number | null>;
}

const W = 520;
const H = 150;
const PAD = { left: 46, right: 10, top: 10, bottom: 22 };

/** A rounded-up axis maximum so the gridlines read as round percentages. */
function niceMax(v: number): number {
  if (v <= 0) return 0.01;
  const steps = [1, 2, 2.5, 5, 10];
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const s of steps) if (s * exp >= v) return s * exp;
  return 10 * exp;
}

/** Line chart of rates over the window (oldest left), with a y axis in percent. */
export function rateChart(title: string, lines: Line[], windowMinutes: number): SafeHtml {
  const n = Math.max(1, ...lines.map((l) => l.values.length));
  let peak = 0;
  for (const l of lines) for (const v of l.values) if (v !== null && v > peak) peak = v;
  const max = niceMax(peak);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (n === 1 ? iw : (i * iw) / (n - 1));
  const y = (v: number): number => PAD.top + ih - (v / max) * ih;
  const parts: SafeHtml[] = [];
  for (let g = 0; g <= 4; g++) {
    const v = (max * g) / 4;
    parts.push(
      html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
      html`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" class="ax" text-anchor="end">${pct(v)}</text>`,
    );
  }
  parts.push(
    html`<text x="${PAD.left}" y="${H - 4}" class="ax">−${windowMinutes} min</text>`,
    html`<text x="${W - PAD.right}" y="${H - 4}" class="ax" text-anchor="end">now</text>`,
  );
  for (const l of lines) {
    // Each run of buckets with traffic becomes one path segment; gaps stay gaps.
    let d = '';
    let pen = false;
    l.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d !== '') {
      parts.push(html`<path d="${d}" fill="none" stroke="${l.colour}" stroke-width="1.8" stroke-linejoin="round"/>`);
    }
  }
  const legend = join(lines.map((l) => html`<span class="key"><i style="background:${l.colour}"></i>${l.label}</span>`), ' ');
  const caption = html`<figcaption>${title} <span class="legend">${legend}</span></figcaption>`;
  const svg = html`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}">${parts}</svg>`;
  return html`<figure class="chart">${caption}${svg}</figure>`;
}

/** A small horizontal bar (0..max) for a rate inside a table cell. */
export function bar(rate: number | null, max: number, colour: string): SafeHtml {
  const w = rate === null || max <= 0 ? 0 : Math.min(1, rate / max) * 60;
  return html`<svg class="bar" width="62" height="8" aria-hidden="true"><rect width="62" height="8" rx="2" fill="#eef0f3"/><rect width="${w.toFixed(1)}" height="8" rx="2" fill="${colour}"/></svg>`;
}
