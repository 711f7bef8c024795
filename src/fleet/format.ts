/**
 * The fleet report as text for a terminal and as Markdown for a ticket. Both render one content
 * model (sections of tables) built from the `/api/report` and `/api/gateways` documents, so the two
 * formats never disagree. Gateway names come from the AC: control characters are removed for the
 * terminal, Markdown and HTML syntax is escaped for tickets.
 */
import { confidence, int, ms, pct } from '../report/format.js';
import type { GatewayReport, Ratio, TransportReport } from '../report/types.js';
import { humanDuration } from './args.js';
import type { FleetReport } from './collect.js';

interface Table {
  headers: string[];
  /** Columns whose cells are numbers (right-aligned). */
  numeric: ReadonlySet<number>;
  rows: string[][];
}

interface Section {
  title: string;
  /** Text before the table (or instead of it when there are no rows). */
  notes: string[];
  table?: Table;
}

const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
const ratio = (r: Ratio): string => `${pct(r.rate)} (${int(r.count)} / ${int(r.total)})`;
const verdict = (v: string): string => v.replaceAll('_', ' ');
const pair = (a: number, b: number): string => `${int(a)} / ${int(b)}`;

/** The content of the report, independent of the output format. */
export function sections(fleet: FleetReport): { title: string; lines: string[]; sections: Section[] } {
  const { report, gateways, source } = fleet;
  const range = humanDuration(source.rangeSeconds);
  const out: Section[] = [
    transportsSection(report, range), recommendationsSection(report), changesSection(report, range), acErrorsSection(report, range), gatewaysSection(gateways, range),
  ];
  const m = report.method;
  out.push({
    title: 'Method',
    notes: [
      `${m.test}. One look over the range at α = ${m.alpha}; a difference must also be ≥ ${m.minRatio}× to count; a gateway needs ` +
        `≥ ${m.minRequests} calls, ≥ ${m.minSequenced} sequenced events or ≥ ${m.minProbes} probes on a measure. Basis: ${m.basis}.`,
    ],
  });
  return {
    title: 'cassia-ac-proxy fleet report',
    lines: [
      `Prometheus ${source.prometheus} · selector ${source.selector} · ${fleet.proxies} proxy instance${fleet.proxies === 1 ? '' : 's'}`,
      `range ${range}: ${when(report.startedAt)} → ${when(report.generatedAt)}`,
      planLine(fleet),
    ],
    sections: out,
  };
}

/**
 * Where the times came from and what the counts took: the recording rules or raw series (and why),
 * how many proxies were counted process by process, and the gateways whose minutes were asked.
 */
export function planLine(fleet: FleetReport): string {
  const p = fleet.plan;
  const rules = p.activity === 'recording rules'
    ? 'recording rules'
    : p.rulesSince === null
      ? 'raw series (no recording rules of prometheus/fleet-rules.yml found)'
      : `raw series (the recording rules run only since ${when(new Date(p.rulesSince).toISOString())})`;
  const restarted = p.restartedProxies === 0 ? '' : ` · ${p.restartedProxies} prox${p.restartedProxies === 1 ? 'y' : 'ies'} restarted, started or stopped within the range, counted process by process`;
  const changed = p.changedGateways === 0 ? ''
    : ` · ${p.changedGateways} gateway${p.changedGateways === 1 ? '' : 's'} changed transport: before/after minutes of ${p.minuteSeconds.map(humanDuration).join('–')} from ${p.minuteQueries} quer${p.minuteQueries === 1 ? 'y' : 'ies'}`;
  return `activity times: ${rules}, ${humanDuration(p.activityResolutionSeconds)} resolution${restarted}${changed}`;
}

function transportsSection(report: TransportReport, range: string): Section {
  const rows = report.transports.map((t) => {
    const s = t.sinceStart;
    return [
      t.transport, int(t.gateways), int(s.requests), ratio(s.errors),
      pair(s.status502.upstream.count, s.status502.proxy.count), pair(s.status504.upstream.count, s.status504.proxy.count),
      `${ms(s.headersMs.p50)} / ${ms(s.headersMs.p99)}`, int(s.events), ratio(s.loss), pair(s.outOfOrder, s.duplicate),
    ];
  });
  return {
    title: `Transports, last ${range}`,
    notes: rows.length === 0 ? ['No traffic in the range.'] : [],
    table: {
      headers: ['transport', 'gateways', 'requests', '502/504 rate', '502 AC / proxy', '504 AC / proxy', 'headers p50 / p99', 'events', 'loss ratio', 'out of order / dup'],
      numeric: new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      rows,
    },
  };
}

function recommendationsSection(report: TransportReport): Section {
  const first = report.recommendations[0];
  return {
    title: 'Should CAPWAP gateways move to MQTT?',
    notes: first === undefined ? ['No CAPWAP gateways in the range.'] : [`MQTT gateways together: 502/504 ${ratio(first.errors.b)}, loss ${ratio(first.loss.b)} (outages apart)`],
    table: {
      headers: ['gateway', 'name', 'verdict', 'confidence', '502/504 rate', 'loss ratio', 'why'],
      numeric: new Set([3, 4, 5]),
      rows: report.recommendations.map((r) => [
        r.gateway, r.name ?? '', verdict(r.verdict), confidence(r.confidence), ratio(r.errors.a), ratio(r.loss.a), r.reason,
      ]),
    },
  };
}

function changesSection(report: TransportReport, range: string): Section {
  return {
    title: 'Transport changes: before → after',
    notes: report.transportChanges.length === 0 ? [`No gateway changed transport in the last ${range}.`] : [],
    table: {
      headers: ['gateway', 'name', 'transport', 'changed', '502/504 before', '502/504 after', 'loss before', 'loss after', 'verdict', 'confidence', 'why'],
      numeric: new Set([4, 5, 6, 7, 9]),
      rows: report.transportChanges.map((c) => [
        c.gateway, c.name ?? '', `${c.from} → ${c.to}`, when(c.changedAt), ratio(c.before.errors), ratio(c.after.errors),
        ratio(c.before.loss), ratio(c.after.loss), verdict(c.verdict), confidence(c.confidence), c.reason,
      ]),
    },
  };
}

function acErrorsSection(report: TransportReport, range: string): Section {
  const words = report.acErrors ?? [];
  const names = report.transports.map((t) => t.transport);
  return {
    title: `What the AC said, last ${range}`,
    notes: words.length === 0 ? ['The AC answered no error in the range.'] : ['Error answers by what the AC said, as a share of each transport\'s requests.'],
    table: {
      headers: ['error', 'whose doing', ...names, 'CAPWAP ÷ MQTT', 'why'],
      numeric: new Set(names.map((_, i) => i + 2)),
      rows: words.map((c) => [
        c.error, c.cause, ...names.map((t) => {
          const r = c.transports.find((x) => x.transport === t)?.rate;
          return r === undefined ? '—' : ratio(r);
        }),
        `${c.ratio === null ? '—' : `${c.ratio.toFixed(1)}×`}${c.differs === true ? ', differs' : ''}`, c.reason,
      ]),
    },
  };
}

function gatewaysSection(gateways: GatewayReport[], range: string): Section {
  const active = gateways
    .filter((g) => g.sinceStart.requests > 0 || g.sinceStart.events > 0)
    .sort((a, b) => (b.sinceStart.errors.rate ?? 0) - (a.sinceStart.errors.rate ?? 0) || (b.sinceStart.loss.rate ?? 0) - (a.sinceStart.loss.rate ?? 0) || a.gateway.localeCompare(b.gateway));
  return {
    title: `Gateways, last ${range}, worst 502/504 rate first`,
    notes: active.length === 0 ? ['No gateway traffic in the range.'] : [],
    table: {
      headers: ['gateway', 'name', 'transport', 'online', 'requests', '502/504 rate', '502+504 AC / proxy', 'events', 'loss ratio', 'out of order / dup', 'last event'],
      numeric: new Set([4, 5, 6, 7, 8, 9]),
      rows: active.map((g) => {
        const s = g.sinceStart;
        const used = g.transports.map((t) => t.transport);
        return [
          g.gateway, g.name ?? '', used.length > 1 ? `${used.join(' → ')}` : g.transport,
          g.online === null ? '?' : g.online ? 'online' : 'offline', int(s.requests), ratio(s.errors),
          pair(s.status502.upstream.count + s.status504.upstream.count, s.status502.proxy.count + s.status504.proxy.count),
          int(s.events), ratio(s.loss), pair(s.outOfOrder, s.duplicate), g.lastEventAt === null ? 'never' : when(g.lastEventAt),
        ];
      }),
    },
  };
}

/** Removes what could drive a terminal (escape sequences, other control characters). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const plain = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');

/** Plain text: aligned columns, for a terminal. */
export function renderText(fleet: FleetReport): string {
  const doc = sections(fleet);
  const out: string[] = [doc.title, ...doc.lines.map(plain), ''];
  for (const s of doc.sections) {
    out.push(s.title, '-'.repeat(s.title.length));
    for (const note of s.notes) out.push(plain(note));
    if (s.table && s.table.rows.length > 0) {
      const t = s.table;
      const rows = [t.headers, ...t.rows].map((r) => r.map(plain));
      const last = t.headers.length - 1;
      const widths = t.headers.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
      for (const r of rows) {
        out.push(
          r.map((cell, i) => {
            // The last column (usually "why") is not padded: it may be long and needs no alignment.
            if (i === last) return cell;
            const pad = ' '.repeat((widths[i] ?? 0) - [...cell].length);
            return t.numeric.has(i) ? pad + cell : cell + pad;
          }).join('  ').trimEnd(),
        );
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** Escapes text for a Markdown table cell (and for the HTML many Markdown renderers allow). */
export function mdCell(text: string): string {
  return plain(text)
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/&(?=[#a-zA-Z0-9]+;)/g, '&amp;')
    .replace(/</g, '&lt;');
}

/** GitHub-flavoured Markdown: headings and tables, for tickets. */
export function renderMarkdown(fleet: FleetReport): string {
  const doc = sections(fleet);
  const out: string[] = [`# ${doc.title}`, '', ...doc.lines.map((l) => `${mdCell(l)}  `), ''];
  for (const s of doc.sections) {
    out.push(`## ${mdCell(s.title)}`, '');
    for (const note of s.notes) out.push(mdCell(note), '');
    if (s.table && s.table.rows.length > 0) {
      const t = s.table;
      out.push(`| ${t.headers.map(mdCell).join(' | ')} |`);
      out.push(`|${t.headers.map((_, i) => (t.numeric.has(i) ? '---:' : '---')).join('|')}|`);
      for (const r of t.rows) out.push(`| ${r.map(mdCell).join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}
