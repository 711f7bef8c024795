/**
 * The connection to the AC: one undici Pool with keep-alive for the configured upstream, shared
 * by forwarded requests and the proxy's own discovery polls, so TLS settings (operator CA,
 * insecure switch) and the connect timeout are set in one place.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';

export interface Upstream {
  pool: Pool;
  /** e.g. https://ac.example.com:8443 */
  origin: string;
  /** The upstream URL's path without a trailing slash ('' for none), prefixed to every request path. */
  basePath: string;
  /** The settings the pool was built from: a reload that leaves it unchanged keeps the pool. */
  key: string;
}

/** What the pool depends on; equal keys mean the pool can be reused across a reload. */
export function upstreamKey(config: Config): string {
  return JSON.stringify([config.upstream?.href ?? null, config.upstreamCa, config.upstreamInsecure, config.timeouts.connect]);
}

/** Creates the pool (reads the CA file now: a missing file throws before anything changes). */
export function createUpstream(config: Config, log: Logger): Upstream {
  const url = config.upstream;
  if (!url) throw new Error('no upstream configured');
  const ca = config.upstreamCa ? readFileSync(config.upstreamCa) : undefined;
  if (config.upstreamInsecure) {
    log.warn({ upstream: url.origin }, 'upstream TLS certificate verification is OFF (upstreamInsecure): anyone on the path can impersonate the AC');
  }
  const pool = new Pool(url.origin, {
    connections: null,
    pipelining: 1,
    connect: {
      timeout: config.timeouts.connect,
      ...(ca ? { ca } : {}),
      ...(config.upstreamInsecure ? { rejectUnauthorized: false } : {}),
    },
    headersTimeout: config.timeouts.headers,
    bodyTimeout: config.timeouts.streamIdle,
  });
  // Connection-level failures also reach each request's onError; this only keeps them from being unhandled.
  pool.on('connectionError', () => undefined);
  return { pool, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), key: upstreamKey(config) };
}
