/**
 * The one boundary between forwarding and analysis. Every tap the proxy opens (stream analysis,
 * hub-list discovery, what the AC said in an error answer) is opened and fed through here: a tap that throws, on open, on a chunk or
 * on close, is reported once (`analysis_errors_total{component}` and one log line), closed once
 * so that it releases what it holds, and never called again; the response flows on untouched.
 * Taps themselves do not guard: the proxy must never be the cause of a failure, whatever tap it
 * is given.
 */
import type { Logger } from 'pino';
import { isErrorAnswer } from '../classify/ac-error.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { Metrics } from '../metrics/metrics.js';
import type { BodyTapFactory, StreamTap } from '../tap.js';
import type { StreamKind } from '../vocabulary.js';
import { AcErrorTap, type AcErrorNote } from './ac-error-tap.js';

/** Opens an analysis tap for an SSE response (`sequenceRequested`: the proxy added `sequence=2`); null = no analysis. */
export type TapFactory = (kind: StreamKind, gateway: GatewayHandle, sequenceRequested: boolean) => StreamTap | null;

/** The proxy's guarded openers (never throw). */
export interface GuardedTaps {
  openTap(kind: StreamKind, gateway: GatewayHandle, sequenceRequested: boolean): StreamTap | null;
  /**
   * Runs on every plain response: an error answer (status 400 or above) gets the tap that reads
   * what the AC said into `note`; any other the body taps given (hub lists).
   */
  openBodyTap(route: string, status: number, note: AcErrorNote): StreamTap | null;
}

type Fault = (component: string, err: unknown, msg: string, context: object) => void;

/** Guards `openTap` and `openBodyTap` (absent: no body taps but the error answers' own). */
export function guardTaps(openTap: TapFactory, openBodyTap: BodyTapFactory | undefined, metrics: Metrics, log: Logger): GuardedTaps {
  const fault: Fault = (component, err, msg, context) => {
    metrics.analysisErrors.labels(component).inc();
    log.error({ err, component, ...context }, msg);
  };
  return {
    openTap(kind, gateway, sequenceRequested) {
      const context = { stream: kind, gateway: gateway.label };
      try {
        return guard('stream_tap', openTap(kind, gateway, sequenceRequested), fault, context);
      } catch (err) {
        fault('stream_tap', err, 'analysis failed to start; forwarding continues without it', context);
        return null;
      }
    },
    // No closure per call: most plain responses get no tap at all.
    openBodyTap: (route, status, note) => {
      if (isErrorAnswer(status)) return guard('body_tap', new AcErrorTap(status, note), fault, { route });
      if (!openBodyTap) return null;
      try {
        const tap = openBodyTap(route, status);
        return tap === null ? null : guard('body_tap', tap, fault, { route });
      } catch (err) {
        fault('body_tap', err, 'analysis failed to start; forwarding continues without it', { route });
        return null;
      }
    },
  };
}

/** Wraps an open tap: its first fault is reported, then it is closed once and left alone. */
function guard(component: string, tap: StreamTap | null, fault: Fault, context: object): StreamTap | null {
  if (!tap) return null;
  const inner = tap;
  let broken = false;
  let closed = false;
  const closeQuietly = (): void => {
    if (closed) return;
    closed = true;
    try {
      inner.close();
    } catch {
      // Already reported: a tap that failed once may fail again while letting go.
    }
  };
  const fail = (err: unknown): void => {
    broken = true;
    fault(component, err, 'analysis failed; forwarding continues, this response is no longer analysed', context);
    closeQuietly();
  };
  return {
    write(chunk) {
      if (broken) return;
      try {
        inner.write(chunk);
      } catch (err) {
        fail(err);
      }
    },
    close() {
      if (broken || closed) return;
      closed = true;
      try {
        inner.close();
      } catch (err) {
        fail(err);
      }
    },
  };
}
