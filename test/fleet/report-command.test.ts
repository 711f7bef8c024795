// `cassia-ac-proxy report` against loopback servers that stand in for a Prometheus-compatible API
// gone wrong: nothing listening, no answer, a wrong path prefix, refused credentials, an error
// answer. Each ends with one line naming the URL and the selector, the right exit code, and no
// credential anywhere. Also what the requests carry: path prefix, POST form, auth and headers.
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { parseReportArgs, parseDurationSeconds, parseTime } from '../../src/fleet/args.js';
import { reportMain } from '../../src/fleet/main.js';
import { COUNTER_FAMILIES } from '../../src/fleet/queries.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { closedPort, httpServer, tcpServer } from '../helpers/servers.js';

const { track } = cleanupAfterEach();
const SECRETS = { CASSIA_PROXY_PROMETHEUS_USER: 'ops', CASSIA_PROXY_PROMETHEUS_PASSWORD: 'pw-51ab7' };

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await reportMain(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}

function oneLine(stderr: string, ...parts: string[]): void {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  for (const p of parts) expect(stderr).toContain(p);
  expect(stderr).not.toContain('pw-51ab7');
  expect(stderr).not.toContain('tok-9c2e');
}

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: URLSearchParams }

/**
 * A server answering every query with `answer(query)`: [status, body]. Series requests
 * (/api/v1/series) go to `answer` too, as `series:<match[]>`, unless `proxies` is given: then they
 * get that many proxies' label sets.
 */
async function api(answer: (query: string) => [number, unknown], proxies?: number) {
  const seen: Seen[] = [];
  const server = track(await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: form });
      const isSeries = (req.url ?? '').endsWith('/api/v1/series');
      const [status, payload] = isSeries && proxies !== undefined
        ? seriesAnswer(proxies)
        : answer(isSeries ? `series:${form.get('match[]') ?? ''}` : form.get('query') ?? '');
      res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/html' : 'application/json' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    });
  }));
  return { url: server.url, seen };
}
const seriesAnswer = (n: number) => [200, {
  status: 'success', data: Array.from({ length: n }, (_, i) => ({ __name__: 'cassia_proxy_build_info', instance: `p${i}:9464`, job: 'cassia-ac-proxy' })),
}] as [number, unknown];
const vector = (result: unknown[]) => [200, { status: 'success', data: { resultType: 'vector', result } }] as [number, unknown];
const matrix = [200, { status: 'success', data: { resultType: 'matrix', result: [] } }] as [number, unknown];

describe('arguments', () => {
  it('defaults: 24h, the shipped scrape job, text, 30 s', () => {
    const a = parseReportArgs(['--prometheus', 'http://prom:9090'], {});
    expect([a.rangeSeconds, a.selector, a.format, a.out, a.timeoutMs, a.headers]).toEqual([86_400, '{job="cassia-ac-proxy"}', 'text', null, 30_000, {}]);
    // The before/after bucket follows the range (minutes.ts changeBucketFor) unless given.
    expect(a.changeBucketSeconds).toBeNull();
  });

  it.each<[string, number | null]>([['auto', null], ['1m', 60], ['5m', 300], ['15s', 15]])('--change-bucket %s', (text, seconds) => {
    expect(parseReportArgs(['--prometheus', 'http://h', '--change-bucket', text], {}).changeBucketSeconds).toBe(seconds);
  });

  it('a range shorter than ten minutes takes the default bucket (a minute) without complaint', () => {
    expect(parseReportArgs(['--prometheus', 'http://h', '--range', '5m'], {}).rangeSeconds).toBe(300);
  });

  it.each([['30m', 1800], ['1h30m', 5400], ['7d', 604_800], ['2w', 1_209_600], ['250ms', 0.25], ['90s', 90]])('duration %s = %d s', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', '1 h', '5', 'h', '-1h', '0s'])('duration %j is rejected', (text) => {
    expect(parseDurationSeconds(text)).toBeNull();
  });

  it.each([
    ['2026-12-06T18:00:00Z', Date.UTC(2026, 11, 6, 18)],
    ['2026-12-06T19:00:00+01:00', Date.UTC(2026, 11, 6, 18)],
    ['2026-12-06T18:00:00.250Z', Date.UTC(2026, 11, 6, 18) + 250],
    ['1796580000', 1_796_580_000_000],
    ['1796580000.5', 1_796_580_000_500],
  ])('--time %s', (text, ms) => {
    expect(parseTime(text)).toBe(ms);
    expect(parseReportArgs(['--prometheus', 'http://h', '--time', text], {}).time).toBe(ms);
  });

  it.each(['2026-12-06', '2026-12-06T18:00:00', 'yesterday', '-5', ''])('--time %j is rejected', (text) => {
    expect(parseTime(text)).toBeNull();
  });

  it('--time ends the range: queries are asked at it, at the range\'s start and in between, never after', async () => {
    const { url, seen } = await api((q) => (/\[\d+s(:\d+s)?\]$/.test(q) ? matrix : vector([{ metric: {}, value: [0, '1'] }])), 2);
    expect((await run(['--prometheus', url, '--time', '2026-12-06T18:00:00Z', '--range', '1h', '--format', 'json'])).code).toBe(0);
    const end = Date.UTC(2026, 11, 6, 18) / 1000;
    const times = seen.map((x) => Number(x.body.get('time') ?? x.body.get('end')));
    expect(Math.max(...times)).toBe(end);
    expect(Math.min(...times)).toBe(end - 3600);
    expect(seen.filter((x) => x.url.endsWith('/series')).map((x) => Number(x.body.get('start')))).toEqual([end - 3600, end - 3600]);
  });

  it('credentials: flags over the environment over the URL; user-info leaves the URL', () => {
    const fromUrl = parseReportArgs(['--prometheus', 'https://u:p%40ss@thanos.example.com/'], {});
    expect(fromUrl.url.href).toBe('https://thanos.example.com/');
    expect(fromUrl.headers.authorization).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`);
    const fromEnv = parseReportArgs(['--prometheus', 'https://u:x@h/'], SECRETS);
    expect(fromEnv.headers.authorization).toBe(`Basic ${Buffer.from('ops:pw-51ab7').toString('base64')}`);
    const token = parseReportArgs(['--prometheus', 'https://h/', '--prometheus-token', 'tok-9c2e'], {});
    expect(token.headers.authorization).toBe('Bearer tok-9c2e');
    expect(parseReportArgs(['--prometheus', 'https://h/'], { CASSIA_PROXY_PROMETHEUS_TOKEN: 't2' }).headers.authorization).toBe('Bearer t2');
  });

  it('extra headers, e.g. a Mimir tenant', () => {
    const a = parseReportArgs(['--prometheus', 'https://h/prometheus', '--prometheus-header', 'X-Scope-OrgID: tenant-1', '--prometheus-header', 'X-A:b'], {});
    expect(a.headers).toEqual({ 'x-scope-orgid': 'tenant-1', 'x-a': 'b' });
  });

  it.each<[string[], Record<string, string>, RegExp]>([
    [['--prometheus', 'ftp://h'], {}, /expected an http:\/\/ or https:\/\/ URL/],
    [['--prometheus', 'not a url'], {}, /not a URL/],
    [['--prometheus', 'http://h', '--format', 'jsn'], {}, /--format: expected one of text, markdown, json, html, got "jsn" — did you mean json\?/],
    [['--prometheus', 'http://h', '--selector', 'job="x"'], {}, /--selector must be label matchers in braces/],
    [['--prometheus', 'http://h', '--range', '5s'], {}, /at least 10s/],
    [['--prometheus', 'http://h', '--time', 'noon'], {}, /--time: expected an RFC 3339 time/],
    [['--prometheus', 'http://h', '--range', '1h', '--change-bucket', '7m'], {}, /--change-bucket: expected auto or a duration from 1s to a tenth of --range \(360s\)/],
    [['--prometheus', 'http://h', '--change-bucket', 'often'], {}, /--change-bucket: expected auto or a duration/],
    [['--prometheus', 'http://h', '--prometheus-token', 't'], SECRETS, /either a Prometheus user and password or a token/],
    [['--prometheus', 'http://h', '--prometheus-password', 'p'], {}, /a Prometheus password needs a user/],
    [['--prometheus', 'http://h', '--prometheus-header', 'no colon'], {}, /--prometheus-header: expected 'Name: value'/],
    [['--prometheus', 'http://h', 'extra'], {}, /Unexpected argument|positional/i],
  ])('%j exits 2', async (args, env, pattern) => {
    const out = await run(args, env);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(pattern);
  });
});

describe('when Prometheus is not there or not right', () => {
  it('nothing listening: exit 1, "cannot reach"', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const out = await run(['--prometheus', url], SECRETS);
    expect(out.code).toBe(1);
    oneLine(out.stderr, `cannot reach Prometheus at ${url}: ECONNREFUSED`, 'selector {job="cassia-ac-proxy"}');
  });

  it('no answer within --timeout: exit 1', async () => {
    const silent = track(await tcpServer(() => undefined));
    const out = await run(['--prometheus', silent.url, '--timeout', '300ms', '--selector', '{env="prod"}'], SECRETS);
    expect(out.code).toBe(1);
    oneLine(out.stderr, `Prometheus at ${silent.url} did not answer within 0.3 s (--timeout)`, 'selector {env="prod"}');
  });

  it('a wrong path prefix (HTML 404): exit 1 with a hint', async () => {
    const { url } = await api(() => [404, '<html>not found</html>']);
    const out = await run(['--prometheus', `${url}/wrong`]);
    expect(out.code).toBe(1);
    oneLine(out.stderr, `Prometheus at ${url}/wrong answered HTTP 404 on /api/v1/series — is the path prefix right?`);
  });

  it('credentials refused: exit 1, never echoing them', async () => {
    const { url } = await api(() => [401, 'unauthorized']);
    const out = await run(['--prometheus', url, '--prometheus-token', 'tok-9c2e']);
    expect(out.code).toBe(1);
    oneLine(out.stderr, 'answered HTTP 401: check --prometheus-user/--prometheus-password or --prometheus-token');
  });

  it('an error answer: exit 1 for execution errors, 2 for bad_data, with Prometheus\' text', async () => {
    const exec = await api(() => [422, { status: 'error', errorType: 'execution', error: 'query processing would load too many samples\ninto memory' }]);
    const e = await run(['--prometheus', exec.url]);
    expect(e.code).toBe(1);
    oneLine(e.stderr, 'answered HTTP 422 (execution: query processing would load too many samples into memory)');
    const bad = await api(() => [400, { status: 'error', errorType: 'bad_data', error: '1:40: parse error: unexpected identifier "x"' }]);
    const b = await run(['--prometheus', bad.url]);
    expect(b.code).toBe(2);
    oneLine(b.stderr, 'rejected the query (bad_data: 1:40: parse error: unexpected identifier "x")');
  });

  const tooManySamples = [422, { status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' }] as [number, unknown];
  const timedOut = [503, { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }] as [number, unknown];
  it.each<[string, string, [number, unknown], string, string[]]>([
    // Only the raw activity checkpoints are too big: the server has no recording rules for them.
    ['too many samples in an activity checkpoint', 'sum by (__name__, gateway, transport) ({job="cassia-ac-proxy",__name__=~"cassia_proxy_gateway_requests_total|', tooManySamples, '7d',
      ['too many samples into memory in query execution): query activity.', ' over --range 7d; load prometheus/fleet-rules.yml into Prometheus']],
    ['a timeout in a count query', 'sum by (__name__, gateway, transport, code', timedOut, '24h',
      ['(timeout: query timed out in expression evaluation): query counts.', ' over --range 24h; narrow --selector', '--query.max-samples, --query.timeout; and --timeout here']],
  ])('a query refused for its cost (%s) names the query, the range and the remedy', async (_, prefix, refusal, range, parts) => {
    const { url } = await api((q) => (q.startsWith(prefix) ? refusal : /\[\d+s(:\d+s)?\]$/.test(q) ? matrix : vector([])), 2);
    const out = await run(['--prometheus', url, '--range', range]);
    expect(out.code).toBe(1);
    oneLine(out.stderr, ...parts);
  });

  it('not a Prometheus API: exit 1', async () => {
    const { url } = await api(() => [200, { hello: 'world' }]);
    const out = await run(['--prometheus', url]);
    expect(out.code).toBe(1);
    oneLine(out.stderr, `${url}/api/v1/series did not answer as a Prometheus API`);
  });

  it('no cassia_proxy_ series for the selector: exit 1', async () => {
    const { url, seen } = await api(() => vector([]), 0);
    const out = await run(['--prometheus', url, '--selector', '{job="none"}']);
    expect(out.code).toBe(1);
    oneLine(out.stderr, `no cassia_proxy_ series at ${url} for selector {job="none"}`);
    // Two cheap questions, not the whole report: the proxies in the range (from the index), any series now.
    expect(seen.map((s) => [s.url, s.body.get('match[]') ?? s.body.get('query')])).toEqual([
      ['/api/v1/series', 'cassia_proxy_build_info{job="none"}'],
      ['/api/v1/query', 'count({job="none",__name__=~"cassia_proxy_.+"})'],
    ]);
  });
});

describe('--query-stats', () => {
  it('writes every query\'s name, time and the samples Prometheus says it read, as JSON lines', async () => {
    const stats = { timings: {}, samples: { totalQueryableSamples: 1234, peakSamples: 56 } };
    const { url, seen } = await api((q) => [200, {
      status: 'success',
      data: /\[\d+s(:\d+s)?\]$/.test(q) ? { resultType: 'matrix', result: [], stats } : { resultType: 'vector', result: [], stats },
    }], 2);
    let stderr = '';
    const code = await reportMain(['--prometheus', url, '--query-stats', '-', '--format', 'json'], {
      stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {},
    });
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as { name: string; query: string; seconds: number; samples: number; peakSamples: number });
    expect(lines).toHaveLength(seen.length);
    const queries = seen.filter((s) => s.url === '/api/v1/query');
    expect(queries.every((s) => s.body.get('stats') === 'all')).toBe(true);
    expect(lines.map((l) => l.name)).toEqual(expect.arrayContaining([
      'proxies', 'targets.seen', 'targets.atRangeStart', 'activity.checkpoint0', 'chart.counts', 'chart.errors',
      // The sums: one query per instant and family.
      ...['end', 'rangeStart', 'windowStart'].flatMap((at) => Object.keys(COUNTER_FAMILIES).map((family) => `counts.${at}.${family}`)),
    ]));
    for (const l of lines) {
      // The series API reads the index and says nothing of samples.
      expect([l.samples, l.peakSamples]).toEqual(l.name === 'proxies' || l.name === 'targets.seen' ? [null, null] : [1234, 56]);
      expect(l.seconds).toBeGreaterThanOrEqual(0);
      expect(seen.some((s) => (s.body.get('query') ?? s.body.get('match[]')) === l.query)).toBe(true);
    }
  });

  it('a range no longer than the window: its start is the window\'s, asked once', async () => {
    const { url } = await api((q) => (/\[\d+s(:\d+s)?\]$/.test(q) ? matrix : vector([])), 2);
    let stderr = '';
    await reportMain(['--prometheus', url, '--range', '10m', '--query-stats', '-', '--format', 'json'], {
      stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {},
    });
    const names = stderr.trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['counts.end.gatewayRequests', 'counts.rangeStart.gatewayRequests', 'targets.atRangeStart']));
    expect(names.filter((n) => n.startsWith('counts.windowStart'))).toEqual([]);
    expect(names).not.toContain('targets.atWindowStart');
  });

  it('not asked: no stats parameter', async () => {
    const { url, seen } = await api((q) => (/\[\d+s(:\d+s)?\]$/.test(q) ? matrix : vector([{ metric: {}, value: [0, '1'] }])), 2);
    await run(['--prometheus', url, '--format', 'json']);
    expect(seen.some((s) => s.body.has('stats'))).toBe(false);
  });
});

describe('what the requests carry', () => {
  it('POST {prefix}/api/v1/query (and /series) with the query, one evaluation time, the timeout, auth and extra headers', async () => {
    const { url, seen } = await api((q) => (/\[\d+s(:\d+s)?\]$/.test(q) ? matrix : vector([])), 2);
    const out = await run(['--prometheus', `${url}/prometheus/`, '--format', 'json', '--timeout', '7s', '--prometheus-header', 'X-Scope-OrgID: t1'], SECRETS);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as { transports: unknown[]; recommendations: unknown[] };
    expect([report.transports, report.recommendations]).toEqual([[], []]);
    expect(seen.length).toBeGreaterThan(20);
    // The end of the range, its start, the window's start, and the activity checkpoints between.
    const times = new Set(seen.map((s) => s.body.get('time') ?? s.body.get('end')));
    expect(times.size).toBeGreaterThan(3);
    expect(seen.filter((s) => s.url === '/prometheus/api/v1/series').map((s) => s.body.get('match[]'))).toEqual([
      'cassia_proxy_build_info{job="cassia-ac-proxy"}', 'cassia_proxy_process_start_time_seconds{job="cassia-ac-proxy"}',
    ]);
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(['/prometheus/api/v1/query', '/prometheus/api/v1/series']).toContain(s.url);
      expect(s.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(s.headers.authorization).toBe(`Basic ${Buffer.from('ops:pw-51ab7').toString('base64')}`);
      expect(s.headers['x-scope-orgid']).toBe('t1');
      if (s.url.endsWith('/query')) expect(s.body.get('timeout')).toBe('7s');
      expect([s.body.get('dedup'), s.body.get('partial_response')]).toEqual(['true', 'false']);
    }
  });
});
