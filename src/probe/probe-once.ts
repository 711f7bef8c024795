/**
 * One probe: the configured read-only call for one gateway, sent straight to the upstream through
 * the generation's pool with the proxy's own token — never through the proxy's listener, so it is
 * in none of the application's figures — and what became of it. An undici dispatch handler, as
 * the proxy's own exchanges are, so that a failure is classified by the same table and phases
 * (src/classify/outcome.ts): no connection to the AC is `unreachable`, no response headers within
 * `probe.timeout` is `timeout`.
 */
import type { Dispatcher } from 'undici';
import { AC_ERROR_MAX_BYTES, acErrorOf, isErrorAnswer } from '../classify/ac-error.js';
import { classifyFailure, type Phase } from '../classify/outcome.js';
import { PROBE_CALLS } from '../config/values.js';
import type { ProbeCall } from '../config/types.js';
import type { ProbeResult } from '../vocabulary.js';

/** What the gateway (through the AC) said besides the status, from the first bytes of an error body. */
export type ProbeSaid = 'busy' | 'offline' | null;

/** A probe the AC answered or could not be asked. */
export interface ProbeAnswer {
  result: ProbeResult;
  /** The HTTP status, 0 when there was no answer. */
  status: number;
  /** ms from sending to response headers; NaN when there were none. */
  rttMs: number;
  said: ProbeSaid;
}

/** The parts of the upstream a probe uses. */
export interface ProbeTarget {
  dispatcher: Dispatcher;
  origin: string;
  basePath: string;
}

/** Bytes of an error answer looked at: the ones the proxy's own classification reads. */
const SNIFF_BYTES = AC_ERROR_MAX_BYTES;

/** The probe result of an answer with `status`. */
export function resultOfStatus(status: number): ProbeResult {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 502) return '502';
  if (status === 504) return '504';
  return 'error';
}

/**
 * The probe result of a failure before any answer, by the proxy's own outcome table; null when
 * the probe was cut by shutdown or a reload (nothing to say about the link).
 */
export function resultOfFailure(err: { code?: string; name?: string; message?: string }, phase: Exclude<Phase, 'body'>): ProbeResult | null {
  const { reason } = classifyFailure(err, phase);
  if (reason === 'connect_error' || reason === 'connect_timeout') return 'unreachable';
  if (reason === 'headers_timeout') return 'timeout';
  if (reason === 'shutdown' || reason === 'client_abort') return null;
  return 'error';
}

/**
 * What an error answer's first bytes say, in the words of the proxy's own classification
 * (classify/ac-error.ts), so a probe and the application's calls read the AC alike: `chip is
 * busy` and `no resources` are the gateway overloaded by the application (probing it harder only
 * adds to that), `gateway offline` the AC unable to reach it.
 */
export function sniff(status: number, text: string): ProbeSaid {
  if (!isErrorAnswer(status)) return null;
  const error = acErrorOf(status, text);
  if (error === 'chip_busy' || error === 'no_resources') return 'busy';
  return error === 'gateway_offline' ? 'offline' : null;
}

/** The request path of `call` for `mac`. */
export function probePath(basePath: string, call: ProbeCall, mac: string): string {
  const { path, query } = PROBE_CALLS[call];
  return `${basePath}${path}?${query === '' ? '' : `${query}&`}mac=${mac}`;
}

class ProbeHandler implements Dispatcher.DispatchHandler {
  private phase: Exclude<Phase, 'body'> | 'body' = 'connect';
  private status = 0;
  private rttMs = NaN;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private readonly started = performance.now();

  constructor(private readonly done: (answer: ProbeAnswer | null) => void) {}

  onConnect(): void {
    this.phase = 'headers';
  }

  onHeaders(statusCode: number): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rttMs = performance.now() - this.started;
    this.phase = 'body';
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (isErrorAnswer(this.status) && this.headBytes < SNIFF_BYTES) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
    }
    return true;
  }

  onComplete(): void {
    this.answer();
  }

  onError(err: Error): void {
    // Once headers came, the status is the answer; a body cut short changes nothing about it.
    if (this.phase === 'body') this.answer();
    else {
      const result = resultOfFailure(err as Error & { code?: string }, this.phase);
      this.done(result === null ? null : { result, status: 0, rttMs: NaN, said: null });
    }
  }

  private answer(): void {
    const text = this.headBytes > 0 ? Buffer.concat(this.head).subarray(0, SNIFF_BYTES).toString('latin1') : '';
    this.done({ result: resultOfStatus(this.status), status: this.status, rttMs: this.rttMs, said: sniff(this.status, text) });
  }
}

/**
 * Sends `call` for `mac` with `token` and resolves what became of it (null: cut by shutdown or a
 * reload). Never rejects.
 */
export function probeOnce(target: ProbeTarget, call: ProbeCall, mac: string, token: string, timeoutMs: number, userAgent: string): Promise<ProbeAnswer | null> {
  return new Promise((resolve) => {
    const handler = new ProbeHandler(resolve);
    try {
      target.dispatcher.dispatch({
        origin: target.origin,
        path: probePath(target.basePath, call, mac),
        method: PROBE_CALLS[call].method,
        headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      }, handler);
    } catch (err) {
      handler.onError(err as Error);
    }
  });
}
