/**
 * Names that come from outside — a hub the AC names `<script>…`, a model and version with
 * quotes, an operator's gateway name with quotes and ampersands — reach the status page as text
 * only. First through the real proxy (the hub list passes through it and is learned passively),
 * then through the report builder with gateway and transport labels that carry markup.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startProxy } from '../../src/main.js';
import { createReport } from '../../src/report/report.js';
import { renderStatusPage } from '../../src/report/html.js';
import type { GatewayReport } from '../../src/report/types.js';
import { testConfig } from '../helpers/config.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { until } from '../helpers/until.js';
import { recordExchange, snapshotEntry } from './fixture.js';

const { defer, track } = cleanupAfterEach();

const EVIL = '<script>alert(1)</script>';
const EVIL_TEXT = '&lt;script&gt;alert(1)&lt;/script&gt;';
const HUB = 'CC:1B:E0:E0:00:01';
const NAMED = 'CC:1B:E0:E0:00:02';

describe('status page escaping', () => {
  it('shows a hub the AC names <script>… and quoted names and models as text, through the real proxy', async () => {
    const hubs = JSON.stringify([
      { mac: HUB.toLowerCase(), name: EVIL, model: '"><img src=x onerror=alert(2)>', version: "2.0'3", status: 'online' },
      { mac: NAMED, name: 'ignored: the map names it', model: 'X2000', version: '2.1.1', status: 'offline' },
    ]);
    const upstream = track(await httpServer((req, res) => {
      const body = req.url?.startsWith('/api/cassia/hubs') ? hubs : '{"ok":true}';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }));
    const { log } = capturedLogger();
    const proxy = await startProxy(testConfig(upstream.url, {
      transport: { gateways: { [HUB]: { transport: 'capwap' }, [NAMED]: { transport: 'mqtt', name: `Dock "7" & 'B'` } } },
    }), { log });
    defer(() => proxy.close());

    const get = async (path: string) => {
      const res = await request(`${proxy.proxyUrl}${path}`);
      await res.body.text();
      expect(res.statusCode).toBe(200);
    };
    await get('/api/cassia/hubs');
    for (const mac of [HUB, NAMED]) for (let i = 0; i < 3; i++) await get(`/api/gap/nodes?mac=${mac}`);

    let gateways: GatewayReport[] = [];
    await until(async () => {
      const res = await request(`${proxy.adminUrl}/api/gateways`);
      gateways = ((await res.body.json()) as { gateways: GatewayReport[] }).gateways;
      return gateways.some((g) => g.gateway === HUB && g.name === EVIL && g.window.requests === 3);
    }, 5000, 'the hub list learned and the requests counted');
    expect(gateways.find((g) => g.gateway === NAMED)).toMatchObject({ name: `Dock "7" & 'B'`, online: false });

    const res = await request(`${proxy.adminUrl}/`);
    expect(res.statusCode).toBe(200);
    const page = await res.body.text();
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    // The hub name shows in the recommendations and the worst-gateways table, as text.
    expect(page.split(EVIL_TEXT).length - 1).toBeGreaterThanOrEqual(2);
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt; · 2.0&#39;3');
    expect(page).toContain('Dock &quot;7&quot; &amp; &#39;B&#39;');
  });

  it('escapes gateway and transport labels in attributes and text (report builder)', () => {
    const clock = Date.UTC(2026, 10, 27, 10, 0, 0);
    const mac = `CC:1B"><script>alert(1)</script>'`;
    const transport = `mq"tt<script>alert(3)</script>`;
    const report = createReport({
      now: () => clock,
      gatewaySnapshot: () => [snapshotEntry(HUB, 'capwap', { name: EVIL, model: `"m'`, version: 'v<1>', online: true })],
    });
    for (let i = 0; i < 250; i++) recordExchange(report, mac, 'capwap', i % 5 === 0 ? 502 : 200, 'upstream', 40);
    for (let i = 0; i < 250; i++) recordExchange(report, HUB, 'capwap', i % 4 === 0 ? 504 : 200, 'proxy', 40);
    for (let i = 0; i < 250; i++) recordExchange(report, 'CC:1B:E0:E0:00:09', transport, 200, 'upstream', 40);
    const page = renderStatusPage(report.report(), report.gateways()).toString();

    expect(page).not.toMatch(/<script|alert\(1\)<|alert\(3\)</);
    const macText = 'CC:1B&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;';
    expect(page).toContain(`data-gateway="${macText}"`);
    expect(page).toContain(`<td class="mono">${macText}</td>`);
    expect(page).toContain(`data-transport="mq&quot;tt&lt;script&gt;alert(3)&lt;/script&gt;"`);
    expect(page).toContain(`&quot;m&#39; · v&lt;1&gt;`);
    expect(page).toContain(`<td>${EVIL_TEXT}<div class="sub">`);
  });
});
