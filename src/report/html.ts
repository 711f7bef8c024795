/**
 * The server-rendered status page: transport comparison, recommendations, transport changes,
 * what the AC said in its error answers (html-ac-errors.ts), worst gateways and 15-minute charts. One self-contained document (inline CSS and SVG, a meta
 * refresh instead of scripts). Every piece is built with the `html` template, which escapes
 * every value by construction — gateway names, models and versions come from the AC. Helpers
 * return `SafeHtml` for markup and `string` for text, never markup as a plain string.
 * Cells carry `data-field` so tests can match what is shown against `/api/report`.
 */
import { NO_TRANSPORT } from '../vocabulary.js';
import { bar, rateChart } from './chart.js';
import { acErrorSection } from './html-ac-errors.js';
import { ago, confidence, int, ms, pct, ratioCell } from './format.js';
import { html, raw, type HtmlValue, type SafeHtml } from './html-template.js';
import { STYLE } from './style.js';
import type { GatewayReport, TransportChange, TransportReport } from './types.js';

const COLOURS: Record<string, string> = { capwap: '#d9480f', mqtt: '#1971c2', unknown: '#868e96', none: '#adb5bd' };
const colourOf = (t: string): string => COLOURS[t] ?? '#5f3dc4';
const VERDICT_CLASS: Record<string, string> = {
  move_to_mqtt: 'bad', worse: 'bad', improved: 'good', no_clear_benefit: 'neutral',
  no_significant_change: 'neutral', insufficient_data: 'muted',
};
const WORST_LIMIT = 10;
/** `2026-11-27T09:59:59.000Z` → `2026-11-27 09:59:59 UTC`. */
const human = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

const badge = (verdict: string): SafeHtml =>
  html`<span class="badge ${VERDICT_CLASS[verdict] ?? 'muted'}" data-field="verdict">${verdict.replaceAll('_', ' ')}</span>`;
const tp = (t: string): SafeHtml => html`<span class="tp" style="--c:${colourOf(t)}">${t}</span>`;
/** A table cell; `body` is text (escaped) or markup. */
const cell = (field: string, body: HtmlValue, cls = 'num'): SafeHtml => html`<td class="${cls}" data-field="${field}">${body}</td>`;
/** Two figures side by side, as text: `12 / 3`. */
const pair = (a: string, b: string): string => `${a} / ${b}`;

function transportRows(report: TransportReport): SafeHtml[] {
  return report.transports.map((t) => {
    const w = t.window;
    const s = t.sinceStart;
    return html`<tr data-transport="${t.transport}"><th scope="row">${tp(t.transport)}</th>${[
      cell('gateways', int(t.gateways)),
      cell('window.requests', int(w.requests)),
      cell('window.errors', ratioCell(w.errors)),
      cell('window.status502', pair(int(w.status502.upstream.count), int(w.status502.proxy.count))),
      cell('window.status504', pair(int(w.status504.upstream.count), int(w.status504.proxy.count))),
      cell('window.headers', pair(ms(w.headersMs.p50), ms(w.headersMs.p99))),
      cell('window.events', int(w.events)),
      cell('window.loss', ratioCell(w.loss)),
      cell('window.reorder', pair(int(w.outOfOrder), int(w.duplicate))),
      cell('window.probes.failures', ratioCell(t.probes.window.failures), 'num sep'),
      cell('window.probes.rtt', pair(ms(t.probes.window.rttMs.p50), ms(t.probes.window.rttMs.p99))),
      cell('sinceStart.errors', ratioCell(s.errors), 'num sep'),
      cell('sinceStart.loss', ratioCell(s.loss)),
      cell('sinceStart.probes.failures', ratioCell(t.probes.sinceStart.failures)),
    ]}</tr>`;
  });
}

function transportTable(report: TransportReport, since: string): SafeHtml {
  if (report.transports.length === 0) return html`<p class="empty">No traffic recorded yet.</p>`;
  return html`<table id="transports"><thead>
<tr><th></th><th colspan="11">last ${report.windowSeconds / 60} minutes</th><th colspan="3" class="sep">${since}</th></tr>
<tr><th>transport</th><th>gateways</th><th>requests</th><th>502/504 rate</th><th title="AC's own / proxy's">502 AC / proxy</th>
<th title="AC's own / proxy's">504 AC / proxy</th><th>headers p50 / p99</th><th>events</th><th>loss ratio</th>
<th>out of order / dup</th><th class="sep" title="the proxy's own probes, the same read-only call to every gateway: (502 + 504 + timeout) / probes that reached the AC">probe failures</th><th>probe RTT p50 / p99</th>
<th class="sep">502/504 rate</th><th>loss ratio</th><th>probe failures</th></tr></thead>
<tbody>${transportRows(report)}</tbody></table>`;
}

function charts(report: TransportReport): SafeHtml {
  const minutes = report.windowSeconds / 60;
  const shown = report.transports.filter((t) => t.transport !== NO_TRANSPORT);
  const lines = (pick: (t: (typeof shown)[number]) => Array<number | null>) =>
    shown.map((t) => ({ label: t.transport, colour: colourOf(t.transport), values: pick(t) }));
  const per = `per ${report.bucketSeconds} s`;
  const errorChart = rateChart(`502/504 rate ${per}`, lines((t) => t.series.errorRate), minutes);
  const lossChart = rateChart(`Event loss ratio ${per}`, lines((t) => t.series.lossRatio), minutes);
  return html`<div class="charts">${errorChart}${lossChart}</div>`;
}

const MEASURE_NAMES = { errors: '502/504', loss: 'loss', probes: 'probes' } as const;

/** Is CAPWAP worse here at all: one line per measure, as decided at the latest look. */
function transportTests(report: TransportReport): SafeHtml {
  const look = report.method.look;
  if (look === null) {
    return html`<p class="note" id="transport-tests">First verdict look at ${report.method.firstLookAt ?? 'the next report'}; looks follow at doubling times (docs/verdicts.md).</p>`;
  }
  const lines = report.transportComparison.map((t) => {
    const what = html`<b>${MEASURE_NAMES[t.measure]}</b>: CAPWAP gateways ${t.capwap.meanRate === null ? '—' : pct(t.capwap.meanRate)} (${t.capwap.gateways}) vs MQTT gateways ${t.mqtt.meanRate === null ? '—' : pct(t.mqtt.meanRate)} (${t.mqtt.gateways})`;
    const verdict = t.missing !== null ? html`<span class="muted">${t.missing}</span>`
      : html`${t.worse ? 'CAPWAP worse' : 'no significant, material difference'} (p ${t.pValue === null ? 'n/a' : t.pValue.toPrecision(2)}, level ${t.level.toPrecision(2)})`;
    return html`<li data-measure="${t.measure}">${what}: ${verdict}</li>`;
  });
  return html`<div class="note" id="transport-tests">Look ${look.index} at ${look.at}${look.nextAt === null ? '' : html`, next at ${look.nextAt}`}; each gateway is one observation, outages apart (docs/verdicts.md):<ul>${lines}</ul></div>`;
}

function recommendations(report: TransportReport): SafeHtml {
  if (report.recommendations.length === 0) return html`<p class="empty">No CAPWAP gateways seen.</p>`;
  const rows = report.recommendations.map((r) =>
    html`<tr data-gateway="${r.gateway}"><td class="mono">${r.gateway}</td><td>${r.name ?? ''}</td>${[
      html`<td>${badge(r.verdict)}</td>`,
      cell('decidedBy', r.decidedBy.map((m) => MEASURE_NAMES[m]).join(', ')),
      cell('confidence', confidence(r.confidence)),
      cell('errors.a', ratioCell(r.errors.a)),
      cell('loss.a', ratioCell(r.loss.a)),
      cell('outages', r.outages.outages === 0 ? '0' : `${r.outages.outages} (${r.outages.failedCalls} calls)`),
    ]}<td class="reason">${r.reason}</td></tr>`);
  const mqtt = report.recommendations[0];
  const pool = mqtt ? html`MQTT gateways together: 502/504 ${ratioCell(mqtt.errors.b)}, loss ${ratioCell(mqtt.loss.b)} (outages apart)` : '';
  return html`${transportTests(report)}<p class="note">${pool}</p><table id="recommendations"><thead><tr><th>gateway</th><th>name</th><th>verdict</th>
<th>decided by</th><th>confidence</th><th>502/504 rate</th><th>loss ratio</th><th>outages</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function changeRow(c: TransportChange, now: string): SafeHtml {
  return html`<tr data-gateway="${c.gateway}"><td class="mono">${c.gateway}</td><td>${c.name ?? ''}</td>${[
    html`<td>${tp(c.from)} → ${tp(c.to)}</td><td>${ago(c.changedAt, now)}</td>`,
    cell('errors.before', ratioCell(c.before.errors)),
    cell('errors.after', ratioCell(c.after.errors)),
    cell('loss.before', ratioCell(c.before.loss), 'num sep'),
    cell('loss.after', ratioCell(c.after.loss)),
    html`<td>${badge(c.verdict)}</td>`,
    cell('confidence', confidence(c.confidence)),
  ]}<td class="reason">${c.reason}</td></tr>`;
}

function changes(report: TransportReport, since: string): SafeHtml {
  if (report.transportChanges.length === 0) return html`<p class="empty">No gateway changed transport (${since}).</p>`;
  return html`<table id="changes"><thead><tr><th>gateway</th><th>name</th><th>transport</th><th>changed</th>
<th>502/504 before</th><th>502/504 after</th><th class="sep">loss before</th><th>loss after</th><th>verdict</th><th>confidence</th>
<th>why</th></tr></thead>
<tbody>${report.transportChanges.map((c) => changeRow(c, report.generatedAt))}</tbody></table>`;
}

/**
 * Gateways with traffic or probes in the window, worst first: by the higher of the 502/504 rate
 * and the probe failure rate (so that a gateway the application leaves alone is ranked too), then
 * by loss.
 */
export function worstGateways(gateways: GatewayReport[]): GatewayReport[] {
  const failing = (g: GatewayReport): number => Math.max(g.window.errors.rate ?? 0, g.probes.window.failures.rate ?? 0);
  return gateways
    .filter((g) => g.window.requests > 0 || g.window.sequenced > 0 || g.probes.window.sent > 0)
    .sort((a, b) => failing(b) - failing(a) || (b.window.loss.rate ?? 0) - (a.window.loss.rate ?? 0))
    .slice(0, WORST_LIMIT);
}

const ONLINE = {
  unknown: html`<span class="muted">?</span>`,
  online: html`<span class="on">online</span>`,
  offline: html`<span class="off">offline</span>`,
};

/** Under a loss figure: how much of it rests on sequence numbers the proxy asked for (sequence.request). */
function requestedShare(f: GatewayReport['window']): SafeHtml | '' {
  const requested = f.sequenceRequested;
  if (requested === 0 || f.sequenced === 0) return '';
  return html`<div class="sub" data-field="sequenceRequested" title="sequenced events whose seqNum the proxy asked the AC for (sequence.request)">${pct(requested / f.sequenced)} seqNum requested</div>`;
}

function worstRow(g: GatewayReport, maxErr: number, maxLoss: number, now: string): SafeHtml {
  const w = g.window;
  const online = g.online === null ? ONLINE.unknown : g.online ? ONLINE.online : ONLINE.offline;
  const sub = [g.model, g.version].filter(Boolean).join(' · ');
  return html`<tr data-gateway="${g.gateway}"><td class="mono">${g.gateway}</td><td>${g.name ?? ''}${[
    html`<div class="sub">${sub}</div></td><td>${tp(g.transport)}</td><td>${online}</td>`,
    cell('requests', int(w.requests)),
    cell('errors', html`${bar(w.errors.rate, maxErr, '#e03131')} ${ratioCell(w.errors)}`),
    cell('split', pair(int(w.status502.upstream.count + w.status504.upstream.count), int(w.status502.proxy.count + w.status504.proxy.count))),
    cell('headers', pair(ms(w.headersMs.p50), ms(w.headersMs.p99))),
    cell('loss', html`${bar(w.loss.rate, maxLoss, '#f08c00')} ${ratioCell(w.loss)}${requestedShare(w)}`),
    cell('reorder', pair(int(w.outOfOrder), int(w.duplicate))),
    cell('probes', html`${ratioCell(g.probes.window.failures)}${g.probes.window.offline > 0 ? html`<div class="sub">+${int(g.probes.window.offline)} while offline</div>` : ''}`, 'num sep'),
  ]}<td>${ago(g.lastEventAt, now)}</td></tr>`;
}

function worst(gateways: GatewayReport[], now: string): SafeHtml {
  const list = worstGateways(gateways);
  if (list.length === 0) return html`<p class="empty">No gateway traffic or probes in the window.</p>`;
  const maxErr = Math.max(...list.map((g) => g.window.errors.rate ?? 0));
  const maxLoss = Math.max(...list.map((g) => g.window.loss.rate ?? 0));
  return html`<table id="worst"><thead><tr><th>gateway</th><th>name</th><th>transport</th><th>state</th><th>requests</th>
<th>502/504 rate</th><th title="502+504 from the AC / from the proxy">AC / proxy</th><th>headers p50 / p99</th><th>loss ratio</th>
<th>out of order / dup</th><th class="sep" title="(502 + 504 + timeout) / probes that reached the AC; probes while offline apart">probe failures</th>
<th>last event</th></tr></thead><tbody>${list.map((g) => worstRow(g, maxErr, maxLoss, now))}</tbody></table>`;
}

/** How the page describes where its numbers come from; the defaults are the running proxy's. */
export interface PageOptions {
  /** After "cassia-ac-proxy" in the heading. */
  subtitle?: string;
  /** The period the verdicts cover, as a column heading ("since start"). */
  since?: string;
  /** Replaces "running since …" in the header line. */
  source?: string;
  /** Meta refresh and the JSON link: on for the live page, off for a file. */
  live?: boolean;
}

/** The complete status page (the stylesheet is the page's own constant, the one `raw` part). */
export function renderStatusPage(report: TransportReport, gateways: GatewayReport[], options: PageOptions = {}): SafeHtml {
  const m = report.method;
  const subtitle = options.subtitle ?? 'transport report';
  const since = options.since ?? 'since start';
  const live = options.live ?? true;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${live ? html`<meta http-equiv="refresh" content="10">` : ''}
<title>cassia-ac-proxy · ${subtitle}</title><style>${raw(STYLE)}</style></head><body>
<header><h1>cassia-ac-proxy <span>${subtitle}</span></h1>
<p class="meta">generated <time data-field="generatedAt" datetime="${report.generatedAt}">${human(report.generatedAt)}</time> ·
${options.source === undefined ? `running since ${human(report.startedAt)}` : options.source} ·
${gateways.length} gateways${live ? html` · refreshes every 10 s · <a href="api/report">JSON</a>` : ''}</p></header>
<main>
<section><h2>Transports</h2>${transportTable(report, since)}${charts(report)}</section>
<section><h2>Should CAPWAP gateways move to MQTT?</h2>${recommendations(report)}
<p class="note">${m.test}. The chance of ever advising a move that the transport does not explain is at most ${m.alpha};
a difference must also be ≥ ${m.minRatio}× to count; a gateway needs ≥ ${m.minRequests} calls, ≥ ${m.minSequenced} sequenced events
or ≥ ${m.minProbes} probes on a measure. Basis: ${m.basis}.</p></section>
<section><h2>Transport changes: before → after</h2>${changes(report, since)}</section>
<section><h2>What the AC said</h2>${acErrorSection(report, gateways, since)}</section>
<section><h2>Worst gateways, last ${report.windowSeconds / 60} minutes</h2>${worst(gateways, report.generatedAt)}</section>
</main></body></html>`;
}
