/**
 * Which kinds of error answer differ between the transports, and which are the application's own
 * doing: for every word of AC_ERRORS the AC answered since start, its share of each transport's
 * requests, and whether CAPWAP gateways and MQTT gateways differ in it — tested by the verdict
 * core (verdict.ts compareKinds: each gateway one observation, at the verdicts' looks), so a burst
 * or an outage on one gateway cannot make a difference look certain. Pure; the running proxy and
 * the fleet report compare alike.
 */
import { AC_ERROR_CAUSES, AC_ERRORS, type AcError } from '../vocabulary.js';
import { ratio } from './figures.js';
import type { AcErrorComparison, Ratio, TransportFigures } from './types.js';
import type { KindTest } from './verdict.js';

/** What an application does to be answered each word it causes. */
const APPLICATION_DOING: Partial<Record<AcError, string>> = {
  chip_busy: 'calls to one gateway overlapping (a connect or GATT call before the previous one finished)',
  no_resources: 'too many event streams or connections on one gateway',
  parameter_invalid: 'calls with bad parameters',
  hub_not_found: 'calls naming a gateway the AC does not know',
  token_expired: 'a token used past its lifetime instead of being refreshed',
  forbidden: 'credentials the AC refuses',
};

const pText = (p: number): string => (p < 1e-3 ? p.toExponential(1) : p.toPrecision(2));
const pct = (r: Ratio): string => (r.rate === null ? 'n/a' : `${(r.rate * 100).toFixed(2)}%`);

/**
 * One comparison per word the AC answered since start, differing ones first, then the most
 * frequent. `tests`: the verdict core's comparison of the words at the latest look (null before
 * the first look).
 */
export function compareAcErrors(transports: readonly TransportFigures[], tests: readonly KindTest[] | null): AcErrorComparison[] {
  const byKind = new Map((tests ?? []).map((t) => [t.kind, t]));
  const capwap = transports.find((t) => t.transport === 'capwap')?.sinceStart;
  const mqtt = transports.find((t) => t.transport === 'mqtt')?.sinceStart;
  const out: Array<AcErrorComparison & { total: number }> = [];
  for (const error of AC_ERRORS) {
    let total = 0;
    for (const t of transports) total += t.sinceStart.acErrors[error];
    if (total === 0) continue;
    const rateOf = (f: TransportFigures['sinceStart'] | undefined): Ratio => ratio(f?.acErrors[error] ?? 0, f?.requests ?? 0);
    const a = rateOf(capwap);
    const b = rateOf(mqtt);
    const test = byKind.get(error);
    const differs = test?.differs ?? null;
    const r = a.rate !== null && b.rate !== null && b.rate > 0 ? a.rate / b.rate : null;
    const cause = AC_ERROR_CAUSES[error];
    const rates = `${pct(a)} of CAPWAP requests vs ${pct(b)} of MQTT${r === null ? '' : ` (${r.toFixed(1)}×)`}`;
    const p = test?.pValue ?? null;
    const difference = tests === null ? 'not compared yet: the first look is still to come'
      : differs === null ? `not compared: ${test?.missing ?? 'no gateway had it at the last look'}`
      : differs ? `CAPWAP and MQTT gateways differ (p=${pText(p ?? 1)}, level ${(test?.level ?? 0).toPrecision(2)})`
      : `no significant difference between CAPWAP and MQTT gateways (p=${pText(p ?? 1)})`;
    const doing = APPLICATION_DOING[error];
    const head = cause === 'application' && doing !== undefined
      ? `the application's own doing (${doing}), whatever the transport`
      : cause === 'gateway' ? 'the gateway side: where a transport can matter' : 'no text the proxy knows';
    out.push({
      error, cause, differs, ratio: r, total, pValue: p, level: test?.level ?? null,
      transports: transports.map((t) => ({ transport: t.transport, rate: rateOf(t.sinceStart) })),
      reason: `${head}; ${rates}, ${difference}`,
    });
  }
  out.sort((x, y) => Number(y.differs === true) - Number(x.differs === true) || y.total - x.total);
  return out.map(({ total: _total, ...comparison }) => comparison);
}
