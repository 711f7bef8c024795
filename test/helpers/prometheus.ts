/**
 * Test harness for the real Prometheus and Alertmanager binaries (Debian packages
 * `prometheus`, `prometheus-alertmanager`). Each start gets a temp dir, a generated config,
 * a free loopback port, and a `stop()` that kills by PID, awaits exit and removes the dir.
 * Where a binary is missing, `binaryStatus()` says so loudly; tests skip, or fail under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { until } from './until.js';

/** Where each tool may live: Debian names first (Debian ships Alertmanager as prometheus-alertmanager). */
const CANDIDATES = {
  prometheus: ['/usr/bin/prometheus', '/usr/local/bin/prometheus'],
  promtool: ['/usr/bin/promtool', '/usr/local/bin/promtool'],
  alertmanager: ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager', '/usr/local/bin/alertmanager'],
} as const;

export type ToolName = keyof typeof CANDIDATES;

/** Absolute path of the tool, or null when not installed. */
export function findTool(name: ToolName): string | null {
  for (const path of CANDIDATES[name]) if (existsSync(path)) return path;
  return null;
}

/**
 * Finds the tools a test file needs. When one is missing it logs loudly and returns
 * `skip: true` — unless CI=true, where `mustFail` tells the caller to fail instead.
 */
export function binaryStatus(...names: ToolName[]): { skip: boolean; missing: string[]; mustFail: boolean } {
  const missing = names.filter((name) => findTool(name) === null);
  if (missing.length === 0) return { skip: false, missing, mustFail: false };
  const ci = process.env.CI === 'true';
  console.warn(
    `\n!!! ${missing.join(', ')} not installed (looked in ${missing.map((n) => CANDIDATES[n as ToolName].join(', ')).join('; ')}).\n` +
      `!!! ${ci ? 'CI=true: failing.' : 'SKIPPING these tests.'} Install Debian packages prometheus and prometheus-alertmanager.\n`,
  );
  return { skip: !ci, missing, mustFail: ci };
}

/** A free loopback TCP port (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Polls `check` every 200 ms until it returns a value other than undefined, or throws after
 * `timeoutMs` naming `what` and the last error the check threw (a check may throw while a
 * server is still starting).
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  let value: T | undefined;
  let lastError: unknown;
  try {
    await until(async () => {
      try {
        value = await check();
      } catch (err) {
        lastError = err;
        return false;
      }
      return value !== undefined;
    }, timeoutMs, what, 200);
  } catch (err) {
    const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
    throw new Error(`${(err as Error).message}${detail}`);
  }
  return value as T;
}

interface ManagedProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Spawns a tool, keeps the tail of its output for error messages, stops it by PID. */
function spawnManaged(bin: string, args: string[], dir: string): ManagedProcess {
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const killer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  return { child, output: () => tail, stop };
}

async function waitReady(url: string, managed: ManagedProcess, name: string): Promise<void> {
  await waitFor(
    async () => {
      if (managed.child.exitCode !== null) {
        throw new Error(`${name} exited with ${managed.child.exitCode}:\n${managed.output()}`);
      }
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      return res.ok ? true : undefined;
    },
    20_000,
    `${name} ready at ${url}`,
  ).catch(async (err: Error) => {
    await managed.stop();
    throw new Error(`${err.message}\n--- ${name} output ---\n${managed.output()}`);
  });
}

/** One scrape job: `targets` are host:port strings. */
export interface ScrapeJob {
  job: string;
  targets: string[];
  metricsPath?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: string;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** Instant query; throws with Prometheus' error text when the expression does not parse. */
  query(expr: string): Promise<PromSample[]>;
  /** Active (pending and firing) alerts. */
  alerts(): Promise<PromAlert[]>;
  /** Health of every scrape target: job, scrapeUrl, health ('up'|'down'|'unknown'). */
  targets(): Promise<Array<{ job: string; scrapeUrl: string; health: string; lastError: string }>>;
  /** Last lines Prometheus wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  scrape: ScrapeJob[];
  /** Also scrape Prometheus' own /metrics under this job name (its port is only known here). */
  scrapeSelfAs?: string;
  /** Absolute paths of rule files. */
  ruleFiles?: string[];
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
  /** Default 1s, as is evaluation_interval. */
  scrapeInterval?: string;
}

interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

async function getApi<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiEnvelope<T>;
  if (body.status !== 'success') throw new Error(`${body.errorType ?? 'error'}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts the real Prometheus on 127.0.0.1 with a generated config in a temp dir. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const bin = findTool('prometheus');
  if (bin === null) throw new Error('prometheus binary not installed');
  const dir = await mkdtemp(join(tmpdir(), 'cassia-prom-'));
  const port = await freePort();
  const interval = options.scrapeInterval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    ...(options.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] } }
      : {}),
    scrape_configs: [
      ...options.scrape,
      ...(options.scrapeSelfAs ? [{ job: options.scrapeSelfAs, targets: [`127.0.0.1:${port}`] }] : []),
    ].map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? '/metrics',
      static_configs: [{ targets: job.targets }],
    })),
  };
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));
  const url = `http://127.0.0.1:${port}`;
  const managed = spawnManaged(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    dir,
  );
  await waitReady(url, managed, 'prometheus');
  return {
    url,
    pid: managed.child.pid ?? -1,
    async query(expr) {
      const data = await getApi<{ resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string] }> }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType === 'scalar') {
        const scalar = data.result as unknown as [number, string];
        return [{ metric: {}, value: Number(scalar[1]) }];
      }
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value?.[1]) }));
    },
    async alerts() {
      const data = await getApi<{ alerts: PromAlert[] }>(`${url}/api/v1/alerts`);
      return data.alerts;
    },
    async targets() {
      const data = await getApi<{
        activeTargets: Array<{ labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }>;
      }>(`${url}/api/v1/targets`);
      return data.activeTargets.map((t) => ({
        job: t.labels.job ?? '',
        scrapeUrl: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
      }));
    },
    output: managed.output,
    stop: managed.stop,
  };
}

export interface RunningAlertmanager {
  url: string;
  /** host:port, for Prometheus' alerting config. */
  address: string;
  pid: number;
  /** Alerts Alertmanager currently holds. */
  alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string> }>>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the real Alertmanager on 127.0.0.1, routing everything to `webhookUrl` within ~1 s. */
export async function startAlertmanager(options: { webhookUrl: string }): Promise<RunningAlertmanager> {
  const bin = findTool('alertmanager');
  if (bin === null) throw new Error('alertmanager binary not installed');
  const dir = await mkdtemp(join(tmpdir(), 'cassia-am-'));
  const port = await freePort();
  const config = {
    route: {
      receiver: 'webhook',
      group_by: ['alertname', 'transport', 'gateway'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'webhook', webhook_configs: [{ url: options.webhookUrl, send_resolved: false }] }],
  };
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, stringify(config));
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const managed = spawnManaged(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${address}`,
      // Empty disables clustering, which would otherwise bind 0.0.0.0:9094.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    dir,
  );
  await waitReady(url, managed, 'alertmanager');
  return {
    url,
    address,
    pid: managed.child.pid ?? -1,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      return (await res.json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
    },
    output: managed.output,
    stop: managed.stop,
  };
}

/** Alertmanager's webhook payload (the parts tests look at). */
export interface WebhookPayload {
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
}

/** A loopback HTTP server that records every webhook POST. */
export async function startWebhookSink(): Promise<{
  url: string;
  received: WebhookPayload[];
  close(): Promise<void>;
}> {
  const received: WebhookPayload[] = [];
  const server = createHttpServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload);
      } catch {
        // A malformed post is not an alert; the test will time out waiting and say so.
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
