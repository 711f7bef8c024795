/**
 * The server-rendered status page: transport comparison, recommendations, transport changes,
 * worst gateways and 15-minute charts. One self-contained document (inline CSS and SVG, a meta
 * refresh instead of scripts), every value escaped — gateway names come from the AC.
 * Cells carry `data-field` so tests can match what is shown against `/api/report`.
 */
import { bar, rateChart } from './chart.js';
import { ago, confidence, esc, int, ms, ratioCell } from './format.js';
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

const badge = (verdict: string): string =>
  `<span class="badge ${VERDICT_CLASS[verdict] ?? 'muted'}" data-field="verdict">${esc(verdict.replaceAll('_', ' '))}</span>`;
const tp = (t: string): string => `<span class="tp" style="--c:${esc(colourOf(t))}">${esc(t)}</span>`;
const cell = (field: string, body: string, cls = 'num'): string => `<td class="${cls}" data-field="${esc(field)}">${body}</td>`;

function transportRows(report: TransportReport): string {
  return report.transports
    .map((t) => {
      const w = t.window;
      const s = t.sinceStart;
      return `<tr data-transport="${esc(t.transport)}"><th scope="row">${tp(t.transport)}</th>` +
        cell('gateways', esc(int(t.gateways))) +
        cell('window.requests', esc(int(w.requests))) +
        cell('window.errors', ratioCell(w.errors)) +
        cell('window.status502', `${esc(int(w.status502.upstream.count))} / ${esc(int(w.status502.proxy.count))}`) +
        cell('window.status504', `${esc(int(w.status504.upstream.count))} / ${esc(int(w.status504.proxy.count))}`) +
        cell('window.headers', `${esc(ms(w.headersMs.p50))} / ${esc(ms(w.headersMs.p99))}`) +
        cell('window.events', esc(int(w.events))) +
        cell('window.loss', ratioCell(w.loss)) +
        cell('window.reorder', `${esc(int(w.outOfOrder))} / ${esc(int(w.duplicate))}`) +
        cell('sinceStart.errors', ratioCell(s.errors), 'num sep') +
        cell('sinceStart.loss', ratioCell(s.loss)) +
        '</tr>';
    })
    .join('');
}

function transportTable(report: TransportReport, since: string): string {
  if (report.transports.length === 0) return '<p class="empty">No traffic recorded yet.</p>';
  return `<table id="transports"><thead>
<tr><th></th><th colspan="9">last ${esc(report.windowSeconds / 60)} minutes</th><th colspan="2" class="sep">${esc(since)}</th></tr>
<tr><th>transport</th><th>gateways</th><th>requests</th><th>502/504 rate</th><th title="AC's own / proxy's">502 AC / proxy</th>
<th title="AC's own / proxy's">504 AC / proxy</th><th>headers p50 / p99</th><th>events</th><th>loss ratio</th>
<th>out of order / dup</th><th class="sep">502/504 rate</th><th>loss ratio</th></tr></thead>
<tbody>${transportRows(report)}</tbody></table>`;
}

function charts(report: TransportReport): string {
  const minutes = report.windowSeconds / 60;
  const shown = report.transports.filter((t) => t.transport !== 'none');
  const lines = (pick: (t: (typeof shown)[number]) => Array<number | null>) =>
    shown.map((t) => ({ label: t.transport, colour: colourOf(t.transport), values: pick(t) }));
  const per = `per ${report.bucketSeconds} s`;
  return `<div class="charts">${rateChart(`502/504 rate ${per}`, lines((t) => t.series.errorRate), minutes)}` +
    `${rateChart(`Event loss ratio ${per}`, lines((t) => t.series.lossRatio), minutes)}</div>`;
}

function recommendations(report: TransportReport): string {
  if (report.recommendations.length === 0) return '<p class="empty">No CAPWAP gateways seen.</p>';
  const rows = report.recommendations
    .map((r) => `<tr data-gateway="${esc(r.gateway)}"><td class="mono">${esc(r.gateway)}</td><td>${esc(r.name ?? '')}</td>` +
      `<td>${badge(r.verdict)}</td>${cell('confidence', esc(confidence(r.confidence)))}` +
      cell('errors.a', ratioCell(r.errors.a)) + cell('loss.a', ratioCell(r.loss.a)) +
      `<td class="reason">${esc(r.reason)}</td></tr>`)
    .join('');
  const mqtt = report.recommendations[0];
  const pool = mqtt ? `MQTT pool: 502/504 ${ratioCell(mqtt.errors.b)}, loss ${ratioCell(mqtt.loss.b)}` : '';
  return `<p class="note">${pool}</p><table id="recommendations"><thead><tr><th>gateway</th><th>name</th><th>verdict</th>
<th>confidence</th><th>502/504 rate</th><th>loss ratio</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function changeRow(c: TransportChange, now: string): string {
  return `<tr data-gateway="${esc(c.gateway)}"><td class="mono">${esc(c.gateway)}</td><td>${esc(c.name ?? '')}</td>` +
    `<td>${tp(c.from)} → ${tp(c.to)}</td><td>${esc(ago(c.changedAt, now))}</td>` +
    cell('errors.before', ratioCell(c.before.errors)) + cell('errors.after', ratioCell(c.after.errors)) +
    cell('loss.before', ratioCell(c.before.loss), 'num sep') + cell('loss.after', ratioCell(c.after.loss)) +
    `<td>${badge(c.verdict)}</td>${cell('confidence', esc(confidence(c.confidence)))}<td class="reason">${esc(c.reason)}</td></tr>`;
}

function changes(report: TransportReport, since: string): string {
  if (report.transportChanges.length === 0) return `<p class="empty">No gateway changed transport (${esc(since)}).</p>`;
  return `<table id="changes"><thead><tr><th>gateway</th><th>name</th><th>transport</th><th>changed</th>
<th>502/504 before</th><th>502/504 after</th><th class="sep">loss before</th><th>loss after</th><th>verdict</th><th>confidence</th>
<th>why</th></tr></thead>
<tbody>${report.transportChanges.map((c) => changeRow(c, report.generatedAt)).join('')}</tbody></table>`;
}

/** Gateways with traffic in the window, worst 502/504 rate first, then worst loss. */
export function worstGateways(gateways: GatewayReport[]): GatewayReport[] {
  return gateways
    .filter((g) => g.window.requests > 0 || g.window.sequenced > 0)
    .sort((a, b) => (b.window.errors.rate ?? 0) - (a.window.errors.rate ?? 0) || (b.window.loss.rate ?? 0) - (a.window.loss.rate ?? 0))
    .slice(0, WORST_LIMIT);
}

function worst(gateways: GatewayReport[], now: string): string {
  const list = worstGateways(gateways);
  if (list.length === 0) return '<p class="empty">No gateway traffic in the window.</p>';
  const maxErr = Math.max(...list.map((g) => g.window.errors.rate ?? 0));
  const maxLoss = Math.max(...list.map((g) => g.window.loss.rate ?? 0));
  const rows = list
    .map((g) => {
      const w = g.window;
      const online = g.online === null ? '<span class="muted">?</span>' : g.online ? '<span class="on">online</span>' : '<span class="off">offline</span>';
      return `<tr data-gateway="${esc(g.gateway)}"><td class="mono">${esc(g.gateway)}</td><td>${esc(g.name ?? '')}` +
        `<div class="sub">${esc([g.model, g.version].filter(Boolean).join(' · '))}</div></td><td>${tp(g.transport)}</td><td>${online}</td>` +
        cell('requests', esc(int(w.requests))) +
        cell('errors', `${bar(w.errors.rate, maxErr, '#e03131')} ${ratioCell(w.errors)}`) +
        cell('split', `${esc(int(w.status502.upstream.count + w.status504.upstream.count))} / ${esc(int(w.status502.proxy.count + w.status504.proxy.count))}`) +
        cell('headers', `${esc(ms(w.headersMs.p50))} / ${esc(ms(w.headersMs.p99))}`) +
        cell('loss', `${bar(w.loss.rate, maxLoss, '#f08c00')} ${ratioCell(w.loss)}`) +
        cell('reorder', `${esc(int(w.outOfOrder))} / ${esc(int(w.duplicate))}`) +
        `<td>${esc(ago(g.lastEventAt, now))}</td></tr>`;
    })
    .join('');
  return `<table id="worst"><thead><tr><th>gateway</th><th>name</th><th>transport</th><th>state</th><th>requests</th>
<th>502/504 rate</th><th title="502+504 from the AC / from the proxy">AC / proxy</th><th>headers p50 / p99</th><th>loss ratio</th>
<th>out of order / dup</th><th>last event</th></tr></thead><tbody>${rows}</tbody></table>`;
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

/** The complete status page. */
export function renderStatusPage(report: TransportReport, gateways: GatewayReport[], options: PageOptions = {}): string {
  const m = report.method;
  const subtitle = options.subtitle ?? 'transport report';
  const since = options.since ?? 'since start';
  const live = options.live ?? true;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${live ? '<meta http-equiv="refresh" content="10">' : ''}
<title>cassia-ac-proxy · ${esc(subtitle)}</title><style>${STYLE}</style></head><body>
<header><h1>cassia-ac-proxy <span>${esc(subtitle)}</span></h1>
<p class="meta">generated <time data-field="generatedAt" datetime="${esc(report.generatedAt)}">${esc(human(report.generatedAt))}</time> ·
${options.source === undefined ? `running since ${esc(human(report.startedAt))}` : esc(options.source)} ·
${esc(gateways.length)} gateways${live ? ' · refreshes every 10 s · <a href="api/report">JSON</a>' : ''}</p></header>
<main>
<section><h2>Transports</h2>${transportTable(report, since)}${charts(report)}</section>
<section><h2>Should CAPWAP gateways move to MQTT?</h2>${recommendations(report)}
<p class="note">${esc(m.test)}; a difference counts at p &lt; ${esc(m.alpha)} and ≥ ${esc(m.minRatio)}× the other side's rate,
with ≥ ${esc(m.minRequests)} requests or ≥ ${esc(m.minSequenced)} sequenced events on both sides. Basis: ${esc(m.basis)}.</p></section>
<section><h2>Transport changes: before → after</h2>${changes(report, since)}</section>
<section><h2>Worst gateways, last ${esc(report.windowSeconds / 60)} minutes</h2>${worst(gateways, report.generatedAt)}</section>
</main></body></html>`;
}
