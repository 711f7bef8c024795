/**
 * Reload as an operator does it: the built CLI with a config file, the file edited, SIGHUP.
 * A good file applies (the gateway moves to MQTT); a bad one keeps the running config.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { closedPort, httpServer, type TestServer } from '../helpers/servers.js';
import { find, scrape, total } from '../helpers/metrics.js';
import { until } from '../helpers/until.js';

const CLI = 'dist/src/cli.js';
const GW = 'CC:1B:E0:E0:00:01';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('reload through the CLI', () => {
  it('SIGHUP applies a good file and keeps the running config on a bad one', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\``).toBe(true);
    const up: TestServer<unknown> = await httpServer((_req, res) => res.end('OK'));
    cleanups.push(() => up.close());
    const dir = mkdtempSync(join(tmpdir(), 'cassia-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const adminPort = await closedPort();
    let proxyPort = await closedPort();
    while (proxyPort === adminPort) proxyPort = await closedPort();
    const file = join(dir, 'proxy.yaml');
    const write = (transport: string, extra = ''): void => writeFileSync(file, [
      `upstream: ${up.url}`, `listen: 127.0.0.1:${proxyPort}`, `admin: 127.0.0.1:${adminPort}`,
      'log: { level: warn }', 'transport:', '  gateways:', `    ${GW}: ${transport}`, extra, '',
    ].join('\n'));
    write('capwap');
    const child: ChildProcess = spawn(process.execPath, [CLI, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    cleanups.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    });
    const admin = `http://127.0.0.1:${adminPort}`;
    await until(async () => (await fetch(`${admin}/healthz`).catch(() => null))?.ok === true, 10_000, 'the admin health check', 50);
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const call = async (): Promise<void> => (await request(`${proxyUrl}/api/cassia/info?mac=${GW}`)).body.dump();

    await call();
    write('mqtt');
    child.kill('SIGHUP');
    await until(async () => total(await scrape(admin), 'cassia_proxy_config_reloads_total', { result: 'success' }) === 1, 10_000, 'a successful reload', 50);
    await call();
    write('mqtt', 'timeouts: { conect: 5s }');
    child.kill('SIGHUP');
    await until(async () => total(await scrape(admin), 'cassia_proxy_config_reloads_total', { result: 'failure' }) === 1, 10_000, 'a failed reload', 50);
    await call();

    const samples = await scrape(admin);
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: GW, transport: 'capwap' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: GW, transport: 'mqtt' })[0]?.value).toBe(2);
    // Log lines reach stdout within the writer's flush interval (1 s).
    await until(() => /timeouts\.conect/.test(output), 10_000, 'the reload error in the log');
    expect(output).toMatch(/did you mean \\"timeouts\.connect\\"/);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 30_000);
});
