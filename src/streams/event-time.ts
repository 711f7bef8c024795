/**
 * Gateway timestamps (`timestamp=1`), e.g. `2021-03-08 10:07:17.723 UTC` or `... CST`, to epoch
 * milliseconds, for `event_delay_seconds`.
 *
 * Interpretation (config-free for now): the zone abbreviation is looked up in a small table;
 * `CST` means China Standard Time (UTC+8) because Cassia gateways ship with that zone — if a
 * gateway is really on US Central time its delays come out ~14 h and are discarded as absurd,
 * never recorded as garbage. An unknown abbreviation, or none, is read as UTC. Epoch numbers
 * (seconds or milliseconds) are accepted too. Clock skew between gateway and proxy host adds
 * directly to the figure; see docs/stream-analysis.md.
 */

/** Offsets in minutes east of UTC. */
const ZONES: Readonly<Record<string, number>> = {
  UTC: 0, GMT: 0, Z: 0, UT: 0,
  CST: 480, HKT: 480, SGT: 480, AWST: 480, JST: 540, KST: 540, IST: 330,
  CET: 60, CEST: 120, BST: 60, EET: 120, EEST: 180, WET: 0, WEST: 60,
  EST: -300, EDT: -240, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

const RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s*([A-Za-z]{1,5})?$/;

/** Epoch ms of a gateway timestamp, or NaN when it cannot be read. */
export function parseGatewayTime(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return NaN;
    return value < 1e11 ? value * 1000 : value; // seconds vs milliseconds
  }
  if (typeof value !== 'string') return NaN;
  const m = RE.exec(value);
  if (m === null) return NaN;
  const frac = m[7] ?? '';
  const ms = frac === '' ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const zone = m[8]?.toUpperCase();
  const offset = zone === undefined ? 0 : ZONES[zone] ?? 0;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return t - offset * 60_000;
}

/** Delays outside this range (seconds) are clock trouble, not transit time: not recorded. */
export const MIN_DELAY_S = -1;
export const MAX_DELAY_S = 3600;

/** Delay in seconds from a gateway timestamp to `receivedAt`, clamped at 0; NaN when absurd. */
export function eventDelaySeconds(timestamp: unknown, receivedAt: number): number {
  const t = parseGatewayTime(timestamp);
  if (Number.isNaN(t)) return NaN;
  const d = (receivedAt - t) / 1000;
  if (d < MIN_DELAY_S || d > MAX_DELAY_S) return NaN;
  return d < 0 ? 0 : d;
}
