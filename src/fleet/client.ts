/**
 * A minimal client of the Prometheus HTTP API (`POST {base}/api/v1/query`), which Prometheus,
 * Thanos Query, Mimir, Cortex and VictoriaMetrics all answer. Every failure becomes a FleetError
 * with one line of text and an exit code; credentials never appear in it.
 */
import { Agent, request } from 'undici';

/**
 * Why a query failed, as a stable code: `query_limit` (the server refused to load that much:
 * Prometheus' query.max-samples, Mimir's fetched-series or chunk limits), `query_timeout` (the
 * server's query timeout or --timeout), `bad_query` (the server could not parse it), `unreachable`,
 * `http` (any other error answer), `not_prometheus`.
 */
export type FleetErrorCode = 'query_limit' | 'query_timeout' | 'bad_query' | 'unreachable' | 'http' | 'not_prometheus' | 'no_series' | 'invalid';

/** A failure of the report with the exit code it ends the command with (1 error, 2 bad input). */
export class FleetError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2, readonly code: FleetErrorCode = exitCode === 2 ? 'invalid' : 'http') {
    super(message);
  }
}

/** What Prometheus said a query cost (`stats=all`), with the query's name and wall time. */
export interface QueryStats {
  name: string;
  query: string;
  seconds: number;
  /** Samples the query read (`totalQueryableSamples`); null when the server gives no stats (Thanos, Mimir). */
  samples: number | null;
  /** Most samples held at once (`peakSamples`, what query.max-samples limits); null when not given. */
  peakSamples: number | null;
  series: number;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  /** [unix seconds, value] pairs. */
  values: Array<[number, number]>;
}

export interface ClientOptions {
  /** Base URL, path prefix included (`https://mimir.example.com/prometheus`); no user-info. */
  url: URL;
  /** Extra request headers (Authorization, X-Scope-OrgID, …). */
  headers: Record<string, string>;
  /** Per query, also passed to Prometheus as its own query timeout. */
  timeoutMs: number;
  /** Evaluation time of every query (unix ms), so all answers describe the same instant. */
  time: number;
  /** Called after every answered query; when given, the queries ask for `stats=all`. */
  onStats?: (stats: QueryStats) => void;
}

export interface PromClient {
  /** The base URL without credentials, for messages. */
  readonly where: string;
  /**
   * An instant query answered by a vector; `name` says which query it is in errors and stats, `at`
   * (unix ms) evaluates it at another time than the client's.
   */
  vector(query: string, name?: string, at?: number): Promise<InstantSample[]>;
  /** An instant query answered by a matrix (a range selector or a subquery). */
  matrix(query: string, name?: string): Promise<RangeSeries[]>;
  /**
   * The label sets of the series matching `selector` that have samples between `start` and the
   * evaluation time (unix ms): `/api/v1/series`, which reads the index, not the samples.
   */
  series(selector: string, start: number, name?: string): Promise<Array<Record<string, string>>>;
  /** Ends the client's connections, cutting off queries still in flight (the command exits at once instead of after keep-alive). */
  close(): Promise<void>;
}

interface Envelope {
  status?: string;
  data?: { resultType?: string; result?: unknown; stats?: { samples?: { totalQueryableSamples?: number; peakSamples?: number } } } | unknown[];
  errorType?: string;
  error?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `https://host:9090/prefix` of a URL: what messages show (never user-info, query or fragment). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

const number = (v: unknown): number => (typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Creates the client; it holds no connection state between queries beyond undici's pool. */
export function createPromClient(options: ClientOptions): PromClient {
  const base = displayUrl(options.url);
  const seconds = `${Math.max(1, Math.ceil(options.timeoutMs / 1000))}s`;
  const dispatcher = new Agent({ connections: 8 });

  async function query(expr: string, name: string, at = options.time): Promise<{ resultType: string; result: unknown }> {
    // Thanos Query reads dedup and partial_response: deduplicate HA replicas, and fail rather than
    // answer from some stores only (that would undercount); Prometheus and Mimir ignore both.
    const form = new URLSearchParams({
      query: expr, time: (at / 1000).toFixed(3), timeout: seconds, dedup: 'true', partial_response: 'false',
    });
    if (options.onStats !== undefined) form.set('stats', 'all');
    return call('/api/v1/query', form, name, expr);
  }

  async function call(path: string, form: URLSearchParams, name: string, expr: string): Promise<{ resultType: string; result: unknown }> {
    const endpoint = `${base}${path}`;
    const body = form.toString();
    const began = performance.now();
    let status: number;
    let text: string;
    try {
      const res = await request(endpoint, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        dispatcher,
        signal: AbortSignal.timeout(options.timeoutMs),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (error) {
      const code = errorCode(error);
      const kind = error instanceof Error ? error.name : '';
      if (kind === 'TimeoutError' || kind === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new FleetError(`Prometheus at ${base} did not answer within ${options.timeoutMs / 1000} s (--timeout)`, 1, 'query_timeout');
      }
      if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('E') || code.startsWith('ERR_TLS'))) {
        throw new FleetError(`cannot reach Prometheus at ${base}: ${code}`, 1, 'unreachable');
      }
      throw new FleetError(`cannot query Prometheus at ${base}: ${error instanceof Error ? error.message : String(error)}`, 1, 'unreachable');
    }
    let envelope: Envelope | undefined;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      envelope = undefined;
    }
    if (envelope?.status === 'error') {
      const detail = `${envelope.errorType ?? 'error'}: ${oneLine(envelope.error ?? '')}`;
      // bad_data: the expression did not parse or a matcher is invalid, i.e. the selector given.
      if (envelope.errorType === 'bad_data' && !LIMIT.test(envelope.error ?? '')) {
        throw new FleetError(`Prometheus at ${base} rejected the query (${detail})`, 2, 'bad_query');
      }
      throw new FleetError(`Prometheus at ${base} answered HTTP ${status} (${detail})`, 1, errorCodeOf(envelope));
    }
    if (status === 401 || status === 403) {
      throw new FleetError(`Prometheus at ${base} answered HTTP ${status}: check --prometheus-user/--prometheus-password or --prometheus-token`, 1);
    }
    if (status < 200 || status >= 300) {
      const hint = status === 404 ? ' — is the path prefix right? (Mimir: …/prometheus)' : '';
      throw new FleetError(`Prometheus at ${base} answered HTTP ${status} on ${path}${hint}`, 1);
    }
    if (envelope?.status !== 'success' || envelope.data === undefined) {
      throw new FleetError(`${endpoint} did not answer as a Prometheus API (no "status":"success" JSON)`, 1, 'not_prometheus');
    }
    // /api/v1/series answers the list itself as data.
    if (Array.isArray(envelope.data)) {
      options.onStats?.({ name, query: expr, seconds: (performance.now() - began) / 1000, samples: null, peakSamples: null, series: envelope.data.length });
      return { resultType: 'series', result: envelope.data };
    }
    if (typeof envelope.data.resultType !== 'string') {
      throw new FleetError(`${endpoint} did not answer as a Prometheus API (no "status":"success" JSON)`, 1, 'not_prometheus');
    }
    if (options.onStats !== undefined) {
      const samples = envelope.data.stats?.samples;
      options.onStats({
        name, query: expr, seconds: (performance.now() - began) / 1000,
        samples: typeof samples?.totalQueryableSamples === 'number' ? samples.totalQueryableSamples : null,
        peakSamples: typeof samples?.peakSamples === 'number' ? samples.peakSamples : null,
        series: Array.isArray(envelope.data.result) ? envelope.data.result.length : 1,
      });
    }
    return { resultType: envelope.data.resultType, result: envelope.data.result };
  }

  return {
    where: base,
    close: () => dispatcher.destroy(),
    async vector(expr, name = 'query', at = options.time) {
      const { resultType, result } = await query(expr, name, at);
      if (resultType === 'scalar' && Array.isArray(result)) return [{ metric: {}, value: number(result[1]) }];
      if (resultType !== 'vector' || !Array.isArray(result)) throw new FleetError(`${base}: expected a vector, got ${resultType}`, 1);
      return (result as Array<{ metric?: Record<string, string>; value?: [unknown, unknown] }>).map((r) => ({
        metric: r.metric ?? {},
        value: number(r.value?.[1]),
      }));
    },
    async series(selector, start, name = 'series') {
      const form = new URLSearchParams({ 'match[]': selector, start: (start / 1000).toFixed(3), end: (options.time / 1000).toFixed(3), dedup: 'true', partial_response: 'false' });
      const { result } = await call('/api/v1/series', form, name, selector);
      return (result as unknown[]).filter((r): r is Record<string, string> => r !== null && typeof r === 'object');
    },
    async matrix(expr, name = 'query') {
      const { resultType, result } = await query(expr, name);
      if (resultType !== 'matrix' || !Array.isArray(result)) throw new FleetError(`${base}: expected a matrix, got ${resultType}`, 1);
      return (result as Array<{ metric?: Record<string, string>; values?: Array<[unknown, unknown]> }>).map((r) => ({
        metric: r.metric ?? {},
        values: (r.values ?? []).map(([t, v]) => [number(t), number(v)] as [number, number]),
      }));
    },
  };
}

/**
 * Error texts of a server refusing to load that much: Prometheus ("query processing would load too
 * many samples into memory"), Mimir and Cortex ("the query exceeded the maximum number of chunks",
 * "max_fetched_series_per_query"), Thanos ("exceeded series limit").
 */
const LIMIT = /too many samples|exceeded (?:the )?(?:maximum|max|series|chunks|bytes|sample)|max[_ ]fetched|limit exceeded|query.max-samples/i;

function errorCodeOf(envelope: Envelope): FleetErrorCode {
  if (envelope.errorType === 'timeout' || envelope.errorType === 'canceled' || /timed out|deadline exceeded/i.test(envelope.error ?? '')) return 'query_timeout';
  if (LIMIT.test(envelope.error ?? '')) return 'query_limit';
  return 'http';
}

/** Prometheus error texts may span lines; the report's message is one. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
