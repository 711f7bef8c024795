// The router on a real express app on 127.0.0.1:0: JSON shapes and values, headers, escaping.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReport, type Report } from '../../src/report/report.js';
import type { GatewayReport, TransportReport } from '../../src/report/types.js';
import { recordEvents, recordExchange, snapshotEntry } from './fixture.js';

const A = 'CC:1B:E0:E0:00:01';
const M = 'CC:1B:E0:E0:00:02';
let server: Server;
let base: string;
let report: Report;
let clock = Date.UTC(2026, 10, 27, 10, 0, 0);

beforeAll(async () => {
  report = createReport({
    now: () => clock,
    gatewaySnapshot: () => [
      snapshotEntry(A, 'capwap', { name: '<img src=x onerror=alert(1)>', model: 'X1000', online: false, onlineChangedAt: clock - 60_000, lastEventAt: clock }),
      snapshotEntry(M, 'mqtt', { name: 'Line "B" & co' }),
    ],
  });
  // Gateway A: 7 exchanges, 2 upstream 502, 1 proxy 504. M: 4 clean.
  for (const s of [200, 200, 502, 502, 200, 200] as const) recordExchange(report, A, 'capwap', s, 'upstream', 30);
  recordExchange(report, A, 'capwap', 504, 'proxy', 30_000);
  for (let i = 0; i < 4; i++) recordExchange(report, M, 'mqtt', 200, 'upstream', 8);
  recordEvents(report, A, 'capwap', { events: 95, sequenced: 95, missing: 5, outOfOrder: 0, duplicate: 0 });
  clock += 2000;
  const app = express();
  app.use('/', report.router());
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('GET /api/gateways', () => {
  it('answers per gateway with origin split, rates, counts and events', async () => {
    const res = await fetch(`${base}/api/gateways`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { gateways: GatewayReport[] };
    expect(body.gateways.map((g) => g.gateway)).toEqual([A, M]);
    const a = body.gateways[0];
    expect(a).toMatchObject({ transport: 'capwap', model: 'X1000', online: false, version: null });
    expect(a?.window.requests).toBe(7);
    expect(a?.window.status502.upstream).toMatchObject({ count: 2, total: 7 });
    expect(a?.window.status502.upstream.rate).toBeCloseTo(2 / 7, 12);
    expect(a?.window.status504.proxy).toMatchObject({ count: 1, total: 7 });
    expect(a?.window.status504.upstream.count).toBe(0);
    expect(a?.window.errors.count).toBe(3);
    expect(a?.window.loss).toMatchObject({ count: 5, total: 100, rate: 0.05 });
    expect(a?.window.events).toBe(95);
    expect(a?.lastEventAt).toBe(new Date(clock).toISOString());
    expect(a?.onlineChangedAt).toBe(new Date(clock - 60_000).toISOString());
    expect(body.gateways[1]).toMatchObject({ online: null, onlineChangedAt: null, lastEventAt: null });
    expect(a?.window.headersMs.p99).toBeGreaterThan(20_000); // the 30 s 504 lands in (20,30] s
    expect(body.gateways[1]?.window.errors).toMatchObject({ count: 0, total: 4, rate: 0 });
  });
});

describe('GET /api/report', () => {
  it('aggregates per transport and withholds a verdict on a handful of requests', async () => {
    const res = await fetch(`${base}/api/report`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as TransportReport;
    expect(r.windowSeconds).toBe(900);
    expect(r.transports.map((t) => t.transport)).toEqual(['capwap', 'mqtt']);
    expect(r.transports[0]?.window.errors).toMatchObject({ count: 3, total: 7 });
    expect(r.transports[0]?.sinceStart.loss).toMatchObject({ count: 5, total: 100 });
    expect(r.transports[1]?.window.requests).toBe(4);
    expect(r.recommendations).toHaveLength(1);
    expect(r.recommendations[0]).toMatchObject({ gateway: A, verdict: 'insufficient_data', confidence: null });
    expect(r.transportChanges).toEqual([]);
  });
});

describe('GET /', () => {
  it('serves a self-contained page with every AC-provided value escaped', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('Line &quot;B&quot; &amp; co');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/i);
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
  });
});
