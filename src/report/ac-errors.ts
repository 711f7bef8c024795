/**
 * Which kinds of error answer differ between the transports, and which are the application's own
 * doing: for every word of AC_ERRORS the AC answered since start, its share of each transport's
 * requests with a Wilson 95 % interval, CAPWAP against MQTT. Pure; it reads the transports'
 * Figures, so the running proxy and the fleet report compare alike.
 *
 * A difference counts when the two intervals do not overlap: stricter than a test at the same
 * level (non-overlap of 95 % intervals is roughly p < 0.006), so it names fewer differences
 * than exist, never more.
 */
import { AC_ERROR_CAUSES, AC_ERRORS, type AcError } from '../vocabulary.js';
import { ratio } from './figures.js';
import type { AcErrorComparison, Ratio, TransportFigures } from './types.js';

/** What an application does to be answered each word it causes. */
const APPLICATION_DOING: Partial<Record<AcError, string>> = {
  chip_busy: 'calls to one gateway overlapping (a connect or GATT call before the previous one finished)',
  no_resources: 'too many event streams or connections on one gateway',
  parameter_invalid: 'calls with bad parameters',
  hub_not_found: 'calls naming a gateway the AC does not know',
  token_expired: 'a token used past its lifetime instead of being refreshed',
  forbidden: 'credentials the AC refuses',
};

const pct = (r: Ratio): string => (r.rate === null ? 'n/a' : `${(r.rate * 100).toFixed(2)}%`);

const apart = (a: Ratio, b: Ratio): boolean =>
  a.ci95 !== null && b.ci95 !== null && (a.ci95[0] > b.ci95[1] || b.ci95[0] > a.ci95[1]);

/** One comparison per word the AC answered since start, differing ones first, then the most frequent. */
export function compareAcErrors(transports: readonly TransportFigures[], minRequests: number): AcErrorComparison[] {
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
    const enough = a.total >= minRequests && b.total >= minRequests;
    const differs = enough ? apart(a, b) : null;
    const r = a.rate !== null && b.rate !== null && b.rate > 0 ? a.rate / b.rate : null;
    const cause = AC_ERROR_CAUSES[error];
    const rates = `${pct(a)} of CAPWAP requests vs ${pct(b)} of MQTT${r === null ? '' : ` (${r.toFixed(1)}×)`}`;
    const difference = differs === null
      ? `not enough requests to compare (≥ ${minRequests} on each)`
      : differs ? '95% intervals apart: the transports differ' : 'intervals overlap: no clear difference';
    const doing = APPLICATION_DOING[error];
    const head = cause === 'application' && doing !== undefined
      ? `the application's own doing (${doing}), whatever the transport`
      : cause === 'gateway' ? 'the gateway side: where a transport can matter' : 'no text the proxy knows';
    out.push({
      error, cause, differs, ratio: r, total,
      transports: transports.map((t) => ({ transport: t.transport, rate: rateOf(t.sinceStart) })),
      reason: `${head}; ${rates}, ${difference}`,
    });
  }
  out.sort((x, y) => Number(y.differs === true) - Number(x.differs === true) || y.total - x.total);
  return out.map(({ total: _total, ...comparison }) => comparison);
}
