/**
 * `npm start` with no upstream: the demo as a newcomer runs it (the built CLI as a child
 * process). Within 15 s /metrics shows traffic on both transports, including 502/504 on CAPWAP,
 * batch connects on their own route, and a probe of every gateway;
 * Ctrl-C stops everything with exit code 0. Needs `npm run build` (npm test's pretest does it).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { find, scrape, total } from '../helpers/metrics.js';
import { deadline, until } from '../helpers/until.js';

const CLI = 'dist/src/cli.js';

describe('demo (npm start with no upstream)', () => {
  it('shows traffic on both transports with CAPWAP 502/504 within 15 s, and stops cleanly on SIGINT', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` (npm test does it first)`).toBe(true);
    const child = spawn(process.execPath, [CLI, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      const started = Date.now();
      const metricsUrl = (): string | undefined => /metrics\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(stdout)?.[1];
      await until(() => metricsUrl() !== undefined, 10_000, 'the demo to print its metrics URL').catch(() => undefined);
      const admin = metricsUrl();
      expect(admin, `demo printed no metrics URL; stdout: ${stdout} stderr: ${stderr}`).toBeDefined();
      expect(stdout).toMatch(/proxy\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(stdout).toMatch(/status page\s+http:\/\/127\.0\.0\.1:\d+\//);
      expect(stdout).toMatch(/simulator\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(stdout).toMatch(/--upstream https:\/\//);

      let seen = { capwap: 0, mqtt: 0, capwapErrors: 0, events: 0, batchConnect: 0, sequenceRequested: 0, unprobed: [] as string[] };
      // The 15 s are the demo's promise, counted from its start; the assertions below name what was missing.
      await until(async () => {
        const samples = await scrape(admin as string);
        seen = {
          capwap: total(samples, 'cassia_proxy_gateway_requests_total', { transport: 'capwap' }),
          mqtt: total(samples, 'cassia_proxy_gateway_requests_total', { transport: 'mqtt' }),
          capwapErrors: total(samples, 'cassia_proxy_requests_total', { transport: 'capwap', code: '502' })
            + total(samples, 'cassia_proxy_requests_total', { transport: 'capwap', code: '504' }),
          events: total(samples, 'cassia_proxy_events_total'),
          // The workload's acBatch.js-style sessions show on their own route.
          batchConnect: total(samples, 'cassia_proxy_requests_total', { route: '/api/gap/batch-connect' }),
          // Its notification streams carry the sequence numbers the proxy asked for (sequence.request).
          sequenceRequested: total(samples, 'cassia_proxy_events_sequence_requested_total', { stream: 'notification' }),
          // The demo probes every gateway it knows, whatever the workload does.
          unprobed: find(samples, 'cassia_proxy_gateway_info').map((s) => s.labels.gateway ?? '')
            .filter((gateway) => total(samples, 'cassia_proxy_probes_total', { gateway }) + total(samples, 'cassia_proxy_probes_offline_total', { gateway }) === 0),
        };
        return seen.capwap > 0 && seen.mqtt > 0 && seen.capwapErrors > 0 && seen.events > 0 && seen.batchConnect > 0 && seen.sequenceRequested > 0 && seen.unprobed.length === 0;
      }, Math.max(0, 15_000 - (Date.now() - started)), 'traffic on both transports, CAPWAP 502/504, batch connects, requested sequence numbers and a probe of every gateway', 250).catch(() => undefined);
      expect(seen.capwap).toBeGreaterThan(0);
      expect(seen.mqtt).toBeGreaterThan(0);
      expect(seen.capwapErrors).toBeGreaterThan(0);
      expect(seen.events).toBeGreaterThan(0);
      expect(seen.batchConnect).toBeGreaterThan(0);
      expect(seen.sequenceRequested).toBeGreaterThan(0);
      expect(seen.unprobed).toEqual([]);
      expect(stdout).toMatch(/probes every gateway itself every 5 s/);
    } finally {
      child.kill('SIGINT');
      const [code] = (await deadline(once(child, 'exit'), 10_000, 'the demo to exit on SIGINT').catch(() => [undefined])) as [number | null | undefined];
      if (code === undefined) child.kill('SIGKILL');
      expect(code, `exit code after SIGINT (undefined: still running after 10 s); stderr: ${stderr}`).toBe(0);
    }
  }, 40_000);
});
