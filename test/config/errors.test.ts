import { chmodSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, isConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { PEM, errorLineForm, problemsOf, tempDir } from './helpers.js';

const tmp = tempDir();
const load = (argv: string[], env: Record<string, string> = {}) => loadConfig({ argv, env, cwd: tmp.dir });
const file = (name: string, text: string) => ['--config', tmp.write(name, text)];

describe('every error names where, the key, the value and what was expected', () => {
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['unknown key with suggestion', file('typo.yaml', 'timeouts:\n  conect: 5s\n'), {},
      /typo\.yaml: unknown key "timeouts\.conect" — did you mean "timeouts\.connect"\?/],
    ['unknown key at the wrong level', file('level.yaml', 'streamIdle: 5s\n'), {},
      /unknown key "streamIdle" — did you mean "timeouts\.streamIdle"\?/],
    ['unknown nested key in a gateway entry', file('gwkey.yaml', 'transport: { gateways: { CC:1B:E0:E0:00:01: { transport: mqtt, nmae: x } } }\n'), {},
      /unknown key "transport\.gateways\.CC:1B:E0:E0:00:01\.nmae" — did you mean ".*\.name"\?/],
    ['unknown key in an extractor', file('exkey.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 1, endian: big, endianness: big }] }\n'), {},
      /unknown key "sequence\.extractors\[0\]\.endianness" — did you mean "sequence\.extractors\[0\]\.endian"\?/],
    ['unknown key, nothing close', file('far.yaml', 'colour: blue\n'), {}, /unknown key "colour" — valid keys here: upstream, /],
    ['unknown flag with suggestion', ['--conect-timeout', '5s'], {}, /command line: unknown flag "--conect-timeout" — did you mean "--connect-timeout"\?/],
    ['flag without its value', ['--listen'], {}, /command line: --listen = nothing — expected HOST:PORT after it/],
    ['stray argument', ['serve'], {}, /command line: unexpected argument "serve" — expected flags only/],
    ['malformed MAC in the config file', file('mac.yaml', 'transport:\n  gateways:\n    CC:1B:E0:E0:00: mqtt\n'), {},
      /mac\.yaml: transport\.gateways\.CC:1B:E0:E0:00 = "mqtt" — expected a gateway MAC as the key, such as CC:1B:E0:E0:00:01/],
    ['malformed MAC in the gateways file', ['--gateways', tmp.write('gw.yaml', 'not-a-mac: capwap\n')], {},
      /gw\.yaml: not-a-mac = "capwap" — expected a gateway MAC as the key/],
    ['the same gateway twice', file('dup.yaml', 'transport: { gateways: { cc:1b:e0:e0:00:01: mqtt, CC1BE0E00001: capwap } }\n'), {},
      /"CC1BE0E00001" is the same gateway as "cc:1b:e0:e0:00:01"/],
    ['bad duration in a file', file('dur.yaml', 'timeouts: { headers: 30 seconds }\n'), {},
      /dur\.yaml: timeouts\.headers = "30 seconds" — expected a duration such as 250ms, 30s, 5m or 1h/],
    ['bare number duration', file('bare.yaml', 'timeouts: { connect: 5000 }\n'), {}, /timeouts\.connect = 5000 — expected .*write 5000ms or 5000s/],
    ['bad duration flag', ['--stream-idle-timeout', '-1s'], {}, /command line: --stream-idle-timeout = "-1s" — expected a duration/],
    ['bad URL (scheme)', [], { CASSIA_AC_URL: 'ftp://ac.example.com' }, /environment: CASSIA_AC_URL = "ftp:\/\/ac\.example\.com" — expected an http:\/\/ or https:\/\/ URL/],
    ['bad URL (not a URL)', ['--upstream', 'ac.example.com'], {}, /--upstream = "ac\.example\.com" — expected an http/],
    ['bad URL (path)', ['--upstream', 'https://ac.example.com/api'], {}, /--upstream = "https:\/\/ac\.example\.com\/api" — expected .* without a path: the proxy forwards/],
    ['bad URL (query)', ['--upstream', 'https://ac.example.com/?x=1'], {}, /without a query or fragment/],
    ['bad transport', ['--default-transport', 'lora'], {}, /--default-transport = "lora" — expected one of capwap, mqtt, unknown/],
    ['bad transport in a gateway entry', file('gwt.yaml', 'transport: { gateways: { CC:1B:E0:E0:00:01: wifi } }\n'), {},
      /transport\.gateways\.CC:1B:E0:E0:00:01\.transport = "wifi" — expected one of capwap, mqtt, unknown/],
    ['bad expected transport', ['--expected-transport', 'unknown'], {}, /--expected-transport = "unknown" — expected capwap, mqtt or none/],
    ['bad number', ['--max-gateways', '0'], {}, /--max-gateways = "0" — expected an integer from 1 to 1000000/],
    ['bad number in a file', file('num.yaml', 'limits: { maxTrackedDevices: lots }\n'), {}, /limits\.maxTrackedDevices = "lots" — expected an integer/],
    ['bad size', ['--max-event-bytes', '1 megabyte'], {}, /--max-event-bytes = "1 megabyte" — expected a size such as 1MiB/],
    ['bad listen address', [], { PROXY_LISTEN: 'localhost' }, /PROXY_LISTEN = "localhost" — expected host:port, :port or \[ipv6\]:port/],
    ['bad port', ['--admin-listen', '127.0.0.1:70000'], {}, /--admin-listen = "127\.0\.0\.1:70000" — expected .*port 0 to 65535/],
    ['unquoted IPv6 in YAML', file('v6.yaml', 'admin: [::1]\n'), {}, /admin = \["::1"\] — expected .*quote IPv6 addresses in YAML/],
    ['bad log level', [], { LOG_LEVEL: 'verbose' }, /LOG_LEVEL = "verbose" — expected one of trace, debug, info/],
    ['bad boolean', file('bool.yaml', 'upstreamInsecure: maybe\n'), {}, /upstreamInsecure = "maybe" — expected true or false/],
    ['section of the wrong type', file('sect.yaml', 'timeouts: 5s\n'), {}, /timeouts = "5s" — expected a mapping with keys connect, headers, streamIdle, shutdown/],
    ['top level not a mapping', file('list.yaml', '- a\n- b\n'), {}, /list\.yaml: \(top level\) = \["a","b"\] — expected a mapping with keys upstream/],
    ['missing config file', ['--config', 'nope.yaml'], {}, /nope\.yaml: file not found \(looked for .*nope\.yaml\)/],
    ['missing gateways file', ['--gateways', 'nope-gw.yaml'], {}, /nope-gw\.yaml: file not found/],
    ['invalid YAML', file('broken.yaml', 'timeouts: { connect: 5s\n'), {}, /broken\.yaml: invalid YAML: .*line \d+, column \d+/],
    ['duplicate YAML key', file('dupkey.yaml', 'listen: :1\nlisten: :2\n'), {}, /dupkey\.yaml: invalid YAML: Map keys must be unique/],
    ['invalid JSON', file('broken.json', '{"listen": }'), {}, /broken\.json: invalid JSON: /],
    ['missing CA file', ['--upstream-ca', 'missing-ca.pem'], {}, /command line: --upstream-ca = ".*missing-ca\.pem" — expected a PEM CA bundle: file not found/],
    ['CA file that is not PEM', ['--upstream-ca', tmp.write('not-pem.pem', 'hello')], {}, /--upstream-ca = ".*not-pem\.pem" — expected a PEM file/],
    ['CA from env, missing', [], { CASSIA_AC_CA: 'env-missing.pem' }, /environment: CASSIA_AC_CA = ".*env-missing\.pem" — expected a PEM CA bundle: file not found/],
    ['extractor missing a field', file('ex1.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 2 }] }\n'), {},
      /sequence\.extractors\[0\]\.endian is missing — expected one of big, little/],
    ['extractor bad length', file('ex2.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 3, endian: big }] }\n'), {},
      /sequence\.extractors\[0\]\.length = 3 — expected 1, 2 or 4/],
    ['extractor bad stream', file('ex3.yaml', 'sequence: { extractors: [{ name: a, stream: rssi, offset: 0, length: 1, endian: big }] }\n'), {},
      /sequence\.extractors\[0\]\.stream = "rssi" — expected one of notification, scan/],
    ['extractor handle on scan', file('ex4.yaml', 'sequence: { extractors: [{ name: a, stream: scan, handle: 3, offset: 0, length: 1, endian: big }] }\n'), {},
      /sequence\.extractors\[0\]\.handle = 3 — expected only with stream: notification/],
    ['extractor manufacturerId on notification', file('ex5.yaml', 'sequence: { extractors: [{ name: a, stream: notification, manufacturerId: 3, offset: 0, length: 1, endian: big }] }\n'), {},
      /sequence\.extractors\[0\]\.manufacturerId = 3 — expected only with stream: scan/],
    ['extractor wrap too large', file('ex6.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 1, endian: big, wrap: 300 }] }\n'), {},
      /sequence\.extractors\[0\]\.wrap = 300 — expected at most 256 for a 1-byte counter/],
    ['extractor names repeat', file('ex7.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 1, endian: big }, { name: a, stream: scan, offset: 1, length: 1, endian: big }] }\n'), {},
      /sequence\.extractors\[1\]\.name = "a" — expected a name not used by another extractor/],
    ['bad builtin extractor', file('bi.yaml', 'sequence: { builtin: [seqNum, ruvi] }\n'), {}, /sequence\.builtin = \["seqNum","ruvi"\] — expected a list of built-in extractors from seqNum, ruuvi, eddystone-tlm/],
    ['discovery on without credentials', ['--discovery', '--upstream', 'https://ac.example.com'], {}, /--discovery = true — expected discovery\.key and discovery\.secret/],
    ['only one credential', [], { CASSIA_AC_KEY: 'k' }, /environment: CASSIA_AC_KEY = "k" — expected discovery\.secret as well/],
    ['listen and admin on one address', ['--listen', '127.0.0.1:8080', '--admin-listen', '127.0.0.1:8080'], {},
      /^command line: --admin-listen = "127\.0\.0\.1:8080" — expected another address than listen \(--listen = "127\.0\.0\.1:8080" in command line\): the proxy and the admin server cannot listen on one address$/m],
    ['listen on the default admin port of every interface', ['--listen', ':9464'], {},
      /^command line: --listen = "0\.0\.0\.0:9464" — expected another address than admin \(its default\)/m],
    ['admin from the environment on the file\'s listen address', file('same.yaml', 'listen: 127.0.0.1:7000\n'), { ADMIN_LISTEN: '0.0.0.0:7000' },
      /^environment: ADMIN_LISTEN = "0\.0\.0\.0:7000" — expected another address than listen \(listen = "127\.0\.0\.1:7000" in .*same\.yaml\)/m],
    ['upstreamInsecure together with upstreamCa', ['--upstream-insecure'], { CASSIA_AC_CA: tmp.write('both-ca.pem', PEM) },
      /^command line: --upstream-insecure = true — expected not together with upstreamCa \(CASSIA_AC_CA in environment\)/m],
    ['probe on without credentials', ['--probe', '--upstream', 'https://ac.example.com'], {},
      /^command line: --probe = true — expected discovery\.key and discovery\.secret \(CASSIA_AC_KEY \/ CASSIA_AC_SECRET\): probes use the proxy's own credentials$/],
    ['probe on with only the key', ['--probe', '--upstream', 'https://ac.example.com'], { CASSIA_AC_KEY: 'k' },
      /^environment: CASSIA_AC_KEY = "k" — expected discovery\.secret as well/],
    ['probe.interval 0', file('pi0.yaml', 'probe: { interval: 0 }\n'), {}, /^.*pi0\.yaml: probe\.interval = 0 — expected a duration such as 250ms, 30s, 5m or 1h, at least 1s$/],
    ['probe.interval negative', ['--probe-interval', '-30s'], {}, /^command line: --probe-interval = "-30s" — expected a duration such as 250ms, 30s, 5m or 1h$/],
    ['probe.interval not a duration', file('pix.yaml', 'probe: { interval: often }\n'), {}, /^.*pix\.yaml: probe\.interval = "often" — expected a duration/],
    ['probe.interval below 1s', ['--probe-interval', '500ms'], {}, /--probe-interval = "500ms" — expected .*, at least 1s$/],
    ['probe.timeout 0s', file('pt0.yaml', 'probe: { timeout: 0s }\n'), {}, /probe\.timeout = "0s" — expected .*, at least 100ms$/],
    ['probe.maxPerSecond 0', file('pm0.yaml', 'probe: { maxPerSecond: 0 }\n'), {}, /^.*pm0\.yaml: probe\.maxPerSecond = 0 — expected a number greater than 0 and at most 1000/],
    ['probe.maxPerSecond negative', file('pmn.yaml', 'probe: { maxPerSecond: -2 }\n'), {}, /probe\.maxPerSecond = -2 — expected a number greater than 0/],
    ['probe.call unknown', file('pc.yaml', 'probe: { call: GET /api/gap/nodes?event=1 }\n'), {},
      /^.*pc\.yaml: probe\.call = "GET \/api\/gap\/nodes\?event=1" — expected one of connected-devices \(GET \/api\/gap\/nodes\?connection_state=connected&mac=…\), info \(GET \/api\/cassia\/info\?mac=…\): a read-only call the gateway answers, never an event stream$/],
    ['probe.call that changes a device', file('pcw.yaml', 'probe: { call: POST /api/cassia/reboot }\n'), {}, /probe\.call = "POST \/api\/cassia\/reboot" — expected one of/],
    ['probe typo', file('ptypo.yaml', 'probe: { intervall: 30s }\n'), {}, /unknown key "probe\.intervall" — did you mean "probe\.interval"\?/],
  ])('%s', async (_name, argv, env, pattern) => {
    const problems = await problemsOf(load(argv, env));
    expect(problems.join('\n')).toMatch(pattern);
    for (const line of problems) expect(errorLineForm(line), `not a documented kind of line: ${line}`).toBeDefined();
  });

  // root reads any file regardless of its mode, so this can only be shown as another user.
  it.skipIf(process.getuid?.() === 0)('an unreadable file says so', async () => {
    const path = tmp.write('secret.yaml', 'listen: :1\n');
    chmodSync(path, 0o000);
    expect((await problemsOf(load(['--config', path]))).join('\n')).toMatch(/secret\.yaml: cannot read file \(EACCES\)/);
  });
  it('a directory is not a config file', async () => {
    mkdirSync(`${tmp.dir}/adir.yaml`);
    expect((await problemsOf(load(['--config', 'adir.yaml']))).join('\n')).toMatch(/adir\.yaml: is a directory/);
  });
});

describe('error reporting', () => {
  it('reports every problem of every layer at once', async () => {
    const problems = await problemsOf(load([...file('many.yaml', 'listen: x\nadmin: y\n'), '--max-gateways', 'z'], { LOG_LEVEL: 'w' }));
    const sources = problems.map((p) => p.split(':')[0]?.replace(/^.*\//, ''));
    expect(sources.sort()).toEqual(['command line', 'environment', 'many.yaml', 'many.yaml']);
  });
  it('a bad value in the file is reported even when a flag overrides it', async () => {
    expect((await problemsOf(load([...file('over.yaml', 'listen: nonsense\n'), '--listen', ':0']))).join()).toMatch(/listen = "nonsense"/);
  });
  it.each<[string, string[], Record<string, string>, string]>([
    ['discovery.secret in a file', file('sec.yaml', 'discovery: { secret: [hunter2] }\n'), {}, 'hunter2'],
    ['a lone secret in the environment', [], { CASSIA_AC_SECRET: 'hunter2' }, 'hunter2'],
    ['URL credentials', ['--upstream', 'https://user:hunter2@ac.example.com/x'], {}, 'hunter2'],
  ])('masks secrets in messages: %s', async (_name, argv, env, secret) => {
    const problems = await problemsOf(load(argv, env));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).toContain('***');
  });
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['a file', file('creds.yaml', 'upstream: http://user:pw@ac/\n'), {}, /creds\.yaml: upstream = "http:\/\/user:\*\*\*@ac\/" — expected .*without user:password@/],
    ['the environment', [], { CASSIA_AC_URL: 'https://apiuser:s3cr3t@ac.example.com' }, /environment: CASSIA_AC_URL = "https:\/\/apiuser:\*\*\*@ac\.example\.com" — expected .*without user:password@/],
    ['a flag', ['--upstream', 'https://token@ac.example.com'], {}, /command line: --upstream = "https:\/\/\*\*\*@ac\.example\.com" — expected .*without user:password@/],
  ])('an upstream URL with credentials is an error naming the key (%s), the password masked', async (_name, argv, env, pattern) => {
    const problems = await problemsOf(load(argv, env));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
    expect(problems[0]).not.toMatch(/:pw@|s3cr3t|token@/);
  });
  it('is a ConfigError with code CONFIG_INVALID and the problems in its message', async () => {
    const error: unknown = await load(['--listen', 'x']).catch((e: unknown) => e);
    expect(isConfigError(error)).toBe(true);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).message).toContain('--listen = "x"');
    expect(isConfigError(new Error('x'))).toBe(false);
  });
  it('accepts a valid CA file', async () => {
    const ca = tmp.write('ok-ca.pem', PEM);
    expect((await load(['--upstream-ca', ca])).upstreamCa).toBe(ca);
  });
});
