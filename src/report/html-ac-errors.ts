/**
 * The status page's "What the AC said" section: the AC's error answers by word, per transport
 * (with whose doing each is and whether CAPWAP and MQTT differ) and per gateway. Built with the
 * escaping `html` template like the rest of the page; cells carry `data-field` named after the
 * JSON they show (`acErrors[]` of `/api/report`, `acErrors` of `/api/gateways`).
 */
import { AC_ERRORS, isGatewayPool, type AcErrorCause } from '../vocabulary.js';
import { int, ratioCell } from './format.js';
import { html, type SafeHtml } from './html-template.js';
import type { AcErrorComparison, GatewayReport, TransportReport } from './types.js';

const GATEWAY_LIMIT = 10;
const CAUSE: Record<AcErrorCause, string> = { application: "the application's", gateway: 'gateway side', unknown: 'unknown' };

function verdict(c: AcErrorComparison): SafeHtml {
  if (c.differs === null) return html`<span class="badge muted">too few requests</span>`;
  return c.differs ? html`<span class="badge bad">differs</span>` : html`<span class="badge neutral">no clear difference</span>`;
}

function transportTable(report: TransportReport, since: string): SafeHtml {
  const rows = report.acErrors ?? [];
  if (rows.length === 0) return html`<p class="empty">The AC answered no error (${since}).</p>`;
  const names = report.transports.map((t) => t.transport);
  const body = rows.map((c) => {
    const rates = names.map((t) => {
      const r = c.transports.find((x) => x.transport === t)?.rate;
      return html`<td class="num" data-field="rate.${t}">${r ? ratioCell(r) : '—'}</td>`;
    });
    return html`<tr data-error="${c.error}"><th scope="row" class="mono">${c.error}</th><td data-field="cause">${CAUSE[c.cause]}</td>${rates}<td class="num" data-field="ratio">${c.ratio === null ? '—' : `${c.ratio.toFixed(1)}×`} ${verdict(c)}</td><td class="reason">${c.reason}</td></tr>`;
  });
  return html`<table id="ac-errors"><thead><tr><th>error</th><th>whose doing</th>${names.map((t) => html`<th>${t}</th>`)}<th>CAPWAP ÷ MQTT</th><th>why</th></tr></thead>
<tbody>${body}</tbody></table>`;
}

function gatewayTable(gateways: GatewayReport[], since: string): SafeHtml {
  const count = (g: GatewayReport): number => AC_ERRORS.reduce((n, w) => n + (g.sinceStart.acErrors[w]), 0);
  const list = gateways.filter((g) => !isGatewayPool(g.gateway) && count(g) > 0).sort((a, b) => count(b) - count(a)).slice(0, GATEWAY_LIMIT);
  if (list.length === 0) return html`<p class="empty">No gateway got an error answer (${since}).</p>`;
  const rows = list.map((g) => {
    const said = AC_ERRORS.map((w) => [w, g.sinceStart.acErrors[w]] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    const words = said.map(([w, n], i) => html`${i > 0 ? ' · ' : ''}<span data-field="acErrors.${w}">${w} ${int(n)}</span>`);
    return html`<tr data-gateway="${g.gateway}"><td class="mono">${g.gateway}</td><td>${g.name ?? ''}</td><td>${g.transport}</td><td class="num" data-field="answers">${int(count(g))}</td><td>${words}</td></tr>`;
  });
  return html`<table id="ac-errors-gateways"><thead><tr><th>gateway</th><th>name</th><th>transport</th><th>error answers</th><th>what the AC said</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The section's body: the mix per transport, then the gateways with the most error answers. */
export function acErrorSection(report: TransportReport, gateways: GatewayReport[], since: string): SafeHtml {
  return html`${transportTable(report, since)}
<p class="note">Error answers of the AC (status 400 or above) by what it said, ${since}; a rate is the share of the transport's requests.
"The application's" words go away when the application changes, whatever the transport; only gateway-side words can tell transports apart.
CAPWAP and MQTT differ when their Wilson 95% intervals do not overlap.</p>
${gatewayTable(gateways, since)}`;
}
