import { describe, expect, it } from 'vitest';
import { createConfigReloader, loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { PEM, tempDir } from './helpers.js';

const tmp = tempDir();
const load = (argv: string[] = [], env: Record<string, string> = {}) => loadConfig({ argv, env, cwd: tmp.dir });
const at = (config: Config, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);

describe('defaults (docs/reference.md configuration table)', () => {
  it.each<[string, unknown]>([
    ['upstream', null],
    ['upstreamCa', null],
    ['upstreamInsecure', false],
    ['listen', { host: '127.0.0.1', port: 8080 }],
    ['admin', { host: '127.0.0.1', port: 9464 }],
    ['timeouts.connect', 5000],
    ['timeouts.headers', 30_000],
    ['timeouts.streamIdle', 75_000],
    ['timeouts.shutdown', 10_000],
    ['timeouts.clientHeaders', 10_000],
    ['timeouts.clientBody', 30_000],
    ['timeouts.clientKeepAlive', 65_000],
    ['transport.default', 'unknown'],
    ['transport.gateways', {}],
    ['transport.expected', null],
    ['discovery.enabled', false],
    ['discovery.interval', 60_000],
    ['discovery.key', null],
    ['discovery.secret', null],
    ['probe.enabled', false],
    ['probe.interval', 30_000],
    ['probe.timeout', 10_000],
    ['probe.maxPerSecond', 2],
    ['probe.call', 'connected-devices'],
    ['sequence.builtin', ['seqNum', 'ruuvi', 'eddystone-tlm']],
    ['sequence.extractors', []],
    ['sequence.reorderWindow', 64],
    ['sequence.reorderWindowTime', 5000],
    ['sequence.request', false],
    ['limits.maxGateways', 1000],
    ['limits.maxTrackedDevices', 200_000],
    ['limits.maxEventBytes', 1024 * 1024],
    ['limits.maxClientConnections', 1024],
    ['log.level', 'info'],
    ['log.access', true],
    ['configFile', null],
    ['gatewaysFile', null],
  ])('%s defaults to %j', async (path, expected) => {
    expect(at(await load(), path)).toEqual(expected);
  });
});

describe('precedence: flags > environment > file > defaults', () => {
  const file = tmp.write('precedence.yaml', [
    'upstream: https://file.example.com', 'listen: 127.0.0.1:1001', 'admin: 127.0.0.1:2001',
    'log: { level: warn }', 'upstreamCa: file-ca.pem',
  ].join('\n'));
  tmp.write('file-ca.pem', PEM);
  tmp.write('env-ca.pem', PEM);
  tmp.write('flag-ca.pem', PEM);
  const cases: [string, string, string, string, string, unknown, unknown][] = [
    // key, flag, env, flag value, env value → expected from flag, from env, from file
    ['upstream', '--upstream', 'CASSIA_AC_URL', 'https://flag.example.com', 'https://env.example.com', 'https://flag.example.com/', 'https://env.example.com/'],
    ['listen', '--listen', 'PROXY_LISTEN', '127.0.0.1:1003', '127.0.0.1:1002', { host: '127.0.0.1', port: 1003 }, { host: '127.0.0.1', port: 1002 }],
    ['admin', '--admin-listen', 'ADMIN_LISTEN', '[::1]:2003', ':2002', { host: '::1', port: 2003 }, { host: '0.0.0.0', port: 2002 }],
    ['log.level', '--log-level', 'LOG_LEVEL', 'error', 'debug', 'error', 'debug'],
  ];
  const fileValue: Record<string, unknown> = {
    upstream: 'https://file.example.com/', listen: { host: '127.0.0.1', port: 1001 }, admin: { host: '127.0.0.1', port: 2001 }, 'log.level': 'warn',
  };
  const norm = (v: unknown) => (v instanceof URL ? v.href : v);
  it.each(cases)('%s: flag %s beats env %s beats file', async (key, flag, env, flagValue, envValue, fromFlag, fromEnv) => {
    expect(norm(at(await load(['--config', file, flag, flagValue], { [env]: envValue }), key))).toEqual(fromFlag);
    expect(norm(at(await load(['--config', file], { [env]: envValue }), key))).toEqual(fromEnv);
    expect(norm(at(await load(['--config', file]), key))).toEqual(fileValue[key]);
  });
  it('upstreamCa: paths resolve against the file directory or cwd, and the flag wins', async () => {
    expect((await load(['--config', file])).upstreamCa).toBe(`${tmp.dir}/file-ca.pem`);
    expect((await load(['--config', file], { CASSIA_AC_CA: 'env-ca.pem' })).upstreamCa).toBe(`${tmp.dir}/env-ca.pem`);
    expect((await load(['--config', file, '--upstream-ca', 'flag-ca.pem'], { CASSIA_AC_CA: 'env-ca.pem' })).upstreamCa).toBe(`${tmp.dir}/flag-ca.pem`);
  });
  it('flag-only keys beat the file; untouched keys keep the file value', async () => {
    const f = tmp.write('t.yaml', 'timeouts: { connect: 1s, headers: 2s }\nlog: { access: true }\n');
    const config = await load(['--config', f, '--connect-timeout', '250ms', '--no-access-log']);
    expect(config.timeouts).toEqual({ connect: 250, headers: 2000, streamIdle: 75_000, shutdown: 10_000, clientHeaders: 10_000, clientBody: 30_000, clientKeepAlive: 65_000 });
    expect(config.log.access).toBe(false);
  });
  it('client timeouts and the connection cap have flags', async () => {
    const config = await load(['--client-headers-timeout', '3s', '--client-body-timeout', '15s', '--client-keep-alive-timeout', '90s', '--max-client-connections', '200']);
    expect([config.timeouts.clientHeaders, config.timeouts.clientBody, config.timeouts.clientKeepAlive, config.limits.maxClientConnections]).toEqual([3000, 15_000, 90_000, 200]);
  });
  it('empty environment variables count as unset', async () => {
    expect((await load([], { CASSIA_AC_URL: '', PROXY_LISTEN: ' ' })).upstream).toBeNull();
  });
});

describe('files', () => {
  const yaml = [
    'upstream: http://127.0.0.1:7000',
    'timeouts:', '  connect: 1.5s', '  headers: 1m30s', '  streamIdle: 2m', '  shutdown: 0s',
    '  clientHeaders: 4s', '  clientBody: 20s', '  clientKeepAlive: 2m',
    'transport:', '  default: capwap', '  expected: mqtt', '  gateways:',
    '    cc:1b:e0:e0:00:01: MQTT', '    CC-1B-E0-E0-00-02: { transport: capwap, name: dock 2 }',
    'sequence:', '  builtin: [ruuvi]', '  reorderWindow: 8', '  reorderWindowTime: 500ms', '  request: true',
    '  extractors:', '    - { name: ctr, stream: scan, manufacturerId: 0x0499, offset: 15, length: 2, endian: big }',
    '    - { name: n, stream: notification, handle: 37, offset: 0, length: 4, endian: little, wrap: 1000 }',
    'limits: { maxGateways: 5, maxTrackedDevices: 10, maxEventBytes: 512KiB, maxClientConnections: 64 }',
  ].join('\n');
  const expected = (config: Config) => {
    expect(config.upstream?.href).toBe('http://127.0.0.1:7000/');
    expect(config.timeouts).toEqual({ connect: 1500, headers: 90_000, streamIdle: 120_000, shutdown: 0, clientHeaders: 4000, clientBody: 20_000, clientKeepAlive: 120_000 });
    expect(config.transport).toEqual({
      default: 'capwap', expected: 'mqtt',
      gateways: { 'CC:1B:E0:E0:00:01': { transport: 'mqtt' }, 'CC:1B:E0:E0:00:02': { transport: 'capwap', name: 'dock 2' } },
    });
    expect(config.sequence).toEqual({
      builtin: ['ruuvi'], reorderWindow: 8, reorderWindowTime: 500, request: true,
      extractors: [
        { name: 'ctr', stream: 'scan', manufacturerId: 0x0499, offset: 15, length: 2, endian: 'big' },
        { name: 'n', stream: 'notification', handle: 37, offset: 0, length: 4, endian: 'little', wrap: 1000 },
      ],
    });
    expect(config.limits).toEqual({ maxGateways: 5, maxTrackedDevices: 10, maxEventBytes: 512 * 1024, maxClientConnections: 64 });
  };
  it('reads YAML', async () => {
    const path = tmp.write('full.yaml', yaml);
    const config = await load(['--config', path]);
    expected(config);
    expect(config.configFile).toBe(path);
  });
  it.each(['full.json', 'full.conf'])('reads JSON (%s, by extension or content)', async (name) => {
    const { parse } = await import('yaml');
    const path = tmp.write(name, JSON.stringify(parse(yaml), null, 2));
    expected(await load(['--config', path]));
  });
  it('an empty file is an empty config', async () => {
    expect((await load(['--config', tmp.write('empty.yaml', '# nothing yet\n')])).listen.port).toBe(8080);
  });

  it('--gateways file (both entry forms) overrides the inline map gateway by gateway', async () => {
    const inline = tmp.write('inline.yaml', 'transport:\n  gateways:\n    CC:1B:E0:E0:00:01: capwap\n    CC:1B:E0:E0:00:03: capwap\n');
    const map = tmp.write('gw.yaml', 'cc1be0e00001: mqtt\ncc:1b:e0:e0:00:02: { transport: capwap, name: hall }\n');
    const config = await load(['--config', inline, '--gateways', map]);
    expect(config.transport.gateways).toEqual({
      'CC:1B:E0:E0:00:01': { transport: 'mqtt' },
      'CC:1B:E0:E0:00:02': { transport: 'capwap', name: 'hall' },
      'CC:1B:E0:E0:00:03': { transport: 'capwap' },
    });
    expect(config.gatewaysFile).toBe(map);
  });
  it('gatewaysFile in the config file is relative to that file', async () => {
    tmp.write('gw2.json', '{"CC:1B:E0:E0:00:09": "mqtt"}');
    const config = await load(['--config', tmp.write('with-gw.yaml', 'gatewaysFile: gw2.json\n')]);
    expect(config.transport.gateways).toEqual({ 'CC:1B:E0:E0:00:09': { transport: 'mqtt' } });
  });
});

describe('discovery', () => {
  const creds = { CASSIA_AC_KEY: 'key', CASSIA_AC_SECRET: 'secret' };
  it.each<[string, string[], Record<string, string>, boolean]>([
    ['key, secret and upstream', ['--upstream', 'https://ac.example.com'], creds, true],
    ['no upstream (demo)', [], creds, false],
    ['no credentials', ['--upstream', 'https://ac.example.com'], {}, false],
    ['--no-discovery', ['--upstream', 'https://ac.example.com', '--no-discovery'], creds, false],
  ])('enabled with %s: %s', async (_what, argv, env, enabled) => {
    const config = await load(argv, env);
    expect(config.discovery.enabled).toBe(enabled);
    expect(config.discovery.key).toBe(env.CASSIA_AC_KEY ?? null);
  });
});

describe('listeners', () => {
  it.each<[string, string[]]>([
    ['both on port 0 (each gets a free port)', ['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0']],
    ['one port on two loopback addresses', ['--listen', '127.0.0.1:7001', '--admin-listen', '127.0.0.2:7001']],
    ['two ports on every interface', ['--listen', ':7001', '--admin-listen', ':7002']],
  ])('may share a host or a port but not both: %s', async (_what, argv) => {
    await expect(load(argv)).resolves.toBeDefined();
  });
});

describe('sequence.request', () => {
  it.each<[string, string[], string | null, boolean]>([
    ['the default', [], null, false],
    ['--request-sequence', ['--request-sequence'], null, true],
    ['--request-sequence=false', ['--request-sequence=false'], 'sequence: { request: true }\n', false],
    ['the file', [], 'sequence: { request: true }\n', true],
  ])('comes from %s', async (_what, argv, file, expected) => {
    const config = await load([...(file === null ? [] : ['--config', tmp.write('seqreq.yaml', file)]), ...argv]);
    expect(config.sequence.request).toBe(expected);
  });
  it('is a boolean', async () => {
    await expect(load(['--config', tmp.write('seqreq-bad.yaml', 'sequence: { request: sometimes }\n')]))
      .rejects.toThrow(/sequence\.request = "sometimes"/);
  });
});

describe('probe', () => {
  const creds = { CASSIA_AC_KEY: 'key', CASSIA_AC_SECRET: 'secret' };
  it('--probe and --probe-interval set probe.enabled and probe.interval; the file sets the rest', async () => {
    const f = tmp.write('probe.yaml', 'upstream: https://ac.example.com\nprobe: { timeout: 2s, maxPerSecond: 0.5, call: info }\n');
    const config = await load(['--config', f, '--probe', '--probe-interval', '1m'], creds);
    expect(config.probe).toEqual({ enabled: true, interval: 60_000, timeout: 2000, maxPerSecond: 0.5, call: 'info' });
    expect((await load(['--config', f, '--probe', '--no-probe'], creds)).probe.enabled).toBe(false);
  });
  it.each<[string, string]>([
    ['GET /api/gap/nodes?connection_state=connected&mac=…', 'connected-devices'],
    ['/api/gap/nodes?connection_state=connected', 'connected-devices'],
    ['Connected-Devices', 'connected-devices'],
    ['GET /api/cassia/info?mac=…', 'info'],
    ['/api/cassia/info', 'info'],
  ])('probe.call %j is %s', async (written, call) => {
    const config = await load(['--config', tmp.write('call.json', JSON.stringify({ probe: { call: written } }))]);
    expect(config.probe.call).toBe(call);
  });
  it('needs no credentials in demo mode (the demo brings the simulator\'s)', async () => {
    expect((await load(['--probe'])).probe.enabled).toBe(true);
  });
});

describe('result', () => {
  it('is deeply frozen', async () => {
    const config = await load(['--config', tmp.write('frozen.yaml', 'transport: { gateways: { CC:1B:E0:E0:00:01: mqtt } }\nsequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 1, endian: big }] }\n')]);
    for (const node of [config, config.timeouts, config.listen, config.transport.gateways, config.transport.gateways['CC:1B:E0:E0:00:01'],
      config.sequence.builtin, config.sequence.extractors, config.sequence.extractors[0]]) {
      expect(Object.isFrozen(node)).toBe(true);
    }
    expect(() => { (config.timeouts as { connect: number }).connect = 1; }).toThrow(TypeError);
  });
  it('the reloader re-reads the same file with the same flags and environment', async () => {
    const path = tmp.write('reload.yaml', 'timeouts: { connect: 1s }\n');
    const env: Record<string, string> = { LOG_LEVEL: 'warn' };
    const reload = createConfigReloader({ argv: ['--config', path, '--headers-timeout', '3s'], env, cwd: tmp.dir });
    expect((await reload()).timeouts.connect).toBe(1000);
    tmp.write('reload.yaml', 'timeouts: { connect: 2s }\n');
    env.LOG_LEVEL = 'error'; // the snapshot taken at creation must win
    const next = await reload();
    expect([next.timeouts.connect, next.timeouts.headers, next.log.level]).toEqual([2000, 3000, 'warn']);
    tmp.write('reload.yaml', 'timeouts: { connect: soon }\n');
    await expect(reload()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
