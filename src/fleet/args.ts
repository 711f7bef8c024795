/**
 * Command line of `cassia-ac-proxy report`: flags and environment into validated options.
 * Credentials come from flags, the environment or the URL's user-info and only ever go into
 * request headers.
 */
import { parseArgs } from 'node:util';
import { nearest } from '../config/errors.js';
import { FleetError } from './client.js';
import { DEFAULT_SELECTOR, SelectorError, selectorMatchers } from './queries.js';

export const FORMATS = ['text', 'markdown', 'json', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportArgs {
  help: boolean;
  url: URL;
  rangeSeconds: number;
  selector: string;
  format: Format;
  out: string | null;
  timeoutMs: number;
  /** The report's end (unix ms): --time, or null for now. */
  time: number | null;
  /** Where to write each query's cost (`stats=all`) as JSON lines; `-` for stderr; null: not asked. */
  queryStats: string | null;
  /** Width of the before/after verdict's buckets (--change-bucket), seconds; null: auto, from each move's look-back (minutes.ts). */
  changeBucketSeconds: number | null;
  /** Request headers: Authorization and any --prometheus-header. */
  headers: Record<string, string>;
}

export const REPORT_HELP = `Usage: cassia-ac-proxy report --prometheus URL [options]

The transport report (per transport, per gateway, a verdict per CAPWAP gateway, transport changes)
over every proxy a Prometheus-compatible API has scraped: Prometheus, Thanos Query, Mimir, Cortex.
The same statistics and verdicts as the proxy's own /api/report, over the counts of the whole fleet.

Options:
  --prometheus URL              base URL of the query API, path prefix included
                                (https://mimir.example.com/prometheus); required
  --range DURATION              period the report covers, ending now (default 24h): 30m, 6h, 7d, 1h30m
  --time TIME                   end the range at TIME instead of now: RFC 3339 (2026-12-06T18:00:00Z)
                                or unix seconds
  --selector '{…}'              label matchers choosing the proxies (default ${DEFAULT_SELECTOR})
  --format FORMAT               text | markdown | json | html (default text); json has /api/report's shape,
                                html is the status page
  --out FILE                    write the report to FILE instead of stdout
  --timeout DURATION            per query (default 30s); also Prometheus' own query timeout
  --query-stats FILE            write each query's name, time and samples read (Prometheus' stats=all)
                                as JSON lines to FILE (- for stderr)
  --change-bucket DURATION      the "minute" a before/after verdict compares (default auto: 1m when a
                                move's look-back, its time since the move and as long before it, is
                                at most 6h; the look-back/360 beyond, 4m for a day; at least the
                                scrape interval, at most a tenth of the range)
  --prometheus-user USER        Basic authentication     (env CASSIA_PROXY_PROMETHEUS_USER)
  --prometheus-password PASS    Basic authentication     (env CASSIA_PROXY_PROMETHEUS_PASSWORD)
  --prometheus-token TOKEN      Bearer token             (env CASSIA_PROXY_PROMETHEUS_TOKEN)
  --prometheus-header 'N: V'    extra request header, repeatable (e.g. 'X-Scope-OrgID: tenant-1' for Mimir)
  -h, --help                    this text

Prefer the environment for secrets: flags are visible to every user of the machine.
Exit codes: 0 ok; 1 Prometheus unreachable, timed out, answered an error, or has no cassia_proxy_
series for the selector; 2 invalid options or a selector Prometheus rejects.
`;

const OPTIONS = {
  prometheus: { type: 'string' },
  range: { type: 'string' },
  time: { type: 'string' },
  selector: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  timeout: { type: 'string' },
  'query-stats': { type: 'string' },
  'change-bucket': { type: 'string' },
  'prometheus-user': { type: 'string' },
  'prometheus-password': { type: 'string' },
  'prometheus-token': { type: 'string' },
  'prometheus-header': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `1h30m`, `24h`, `7d`, `250ms` → seconds; null when malformed. */
export function parseDurationSeconds(text: string): number | null {
  const t = text.trim();
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return null;
  let seconds = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) seconds += Number(m[1]) * (UNITS[m[2] as string] ?? 0);
  return seconds > 0 ? seconds : null;
}

/** `24h`, `7d`, `90m`, `45s`: the largest unit that divides the range (days from 2 days on). */
export function humanDuration(seconds: number): string {
  if (seconds >= 172_800 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  for (const [unit, size] of [['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const bad = (message: string): FleetError => new FleetError(message, 2);

/** `2026-12-06T18:00:00Z` (a zone is required) or unix seconds → unix ms; null when neither. */
export function parseTime(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : null;
}

function prometheusUrl(text: string | undefined): URL {
  if (text === undefined || text === '') throw bad('report needs --prometheus URL (e.g. --prometheus http://prometheus:9090)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(`--prometheus: not a URL: ${JSON.stringify(text.replace(/\/\/[^@/]*@/, '//…@'))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`--prometheus: expected an http:// or https:// URL, got ${url.protocol}`);
  return url;
}

/** Parses the arguments after `report`; throws FleetError(2) with one line on anything invalid. */
export function parseReportArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ReportArgs {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const flag = /'(-{1,2}[^']+)'/.exec(text)?.[1];
    if (flag !== undefined && /unknown option/i.test(text)) {
      const guess = nearest(flag.replace(/^-+/, ''), Object.keys(OPTIONS));
      throw bad(`unknown option ${flag}${guess ? ` — did you mean --${guess}?` : ''} (see cassia-ac-proxy report --help)`);
    }
    throw bad(text.split('\n')[0] ?? text);
  }
  if (values.help) {
    return { help: true, url: new URL('http://127.0.0.1/'), rangeSeconds: 0, selector: '', format: 'text', out: null, timeoutMs: 0, time: null, queryStats: null, changeBucketSeconds: null, headers: {} };
  }
  const url = prometheusUrl(values.prometheus);

  const rangeText = values.range ?? '24h';
  const range = parseDurationSeconds(rangeText);
  if (range === null || range < 10) throw bad(`--range: expected a duration of at least 10s such as 30m, 24h or 7d, got ${JSON.stringify(rangeText)}`);
  const time = values.time === undefined ? null : parseTime(values.time);
  if (time === null && values.time !== undefined) {
    throw bad(`--time: expected an RFC 3339 time such as 2026-12-06T18:00:00Z or unix seconds, got ${JSON.stringify(values.time)}`);
  }
  const timeoutText = values.timeout ?? '30s';
  const timeout = parseDurationSeconds(timeoutText);
  if (timeout === null) throw bad(`--timeout: expected a duration such as 10s or 2m, got ${JSON.stringify(timeoutText)}`);
  const bucketText = values['change-bucket'] ?? 'auto';
  const bucket = bucketText === 'auto' ? null : parseDurationSeconds(bucketText);
  if (bucketText !== 'auto' && (bucket === null || bucket < 1 || bucket > range / 10)) {
    throw bad(`--change-bucket: expected auto or a duration from 1s to a tenth of --range (${Math.floor(range / 10)}s), got ${JSON.stringify(bucketText)}`);
  }

  const selector = values.selector ?? DEFAULT_SELECTOR;
  try {
    selectorMatchers(selector);
  } catch (error) {
    if (error instanceof SelectorError) throw bad(error.message);
    throw error;
  }
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    const guess = nearest(format, FORMATS);
    throw bad(`--format: expected one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}${guess ? ` — did you mean ${guess}?` : ''}`);
  }

  const headers: Record<string, string> = {};
  for (const h of values['prometheus-header'] ?? []) {
    const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*:\s*(.*)$/.exec(h);
    if (!m) throw bad(`--prometheus-header: expected 'Name: value', got a value without a valid header name`);
    headers[(m[1] as string).toLowerCase()] = (m[2] as string).trim();
  }

  // Credentials: flags, then the environment, then the URL's user-info (removed from the URL).
  const fromUrl = url.username !== '' ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : null;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const user = values['prometheus-user'] ?? env.CASSIA_PROXY_PROMETHEUS_USER ?? fromUrl?.user;
  const password = values['prometheus-password'] ?? env.CASSIA_PROXY_PROMETHEUS_PASSWORD ?? fromUrl?.password;
  const token = values['prometheus-token'] ?? env.CASSIA_PROXY_PROMETHEUS_TOKEN;
  const nonEmpty = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (nonEmpty(token) && nonEmpty(user)) throw bad('give either a Prometheus user and password or a token, not both');
  if (nonEmpty(password) && !nonEmpty(user)) throw bad('a Prometheus password needs a user (--prometheus-user or CASSIA_PROXY_PROMETHEUS_USER)');
  if (nonEmpty(user)) headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  else if (nonEmpty(token)) headers.authorization = `Bearer ${token}`;

  return {
    help: false, url, rangeSeconds: Math.round(range), selector, format, out: values.out ?? null,
    timeoutMs: Math.max(1, Math.round(timeout * 1000)), time, queryStats: values['query-stats'] ?? null, changeBucketSeconds: bucket === null ? null : Math.round(bucket), headers,
  };
}
