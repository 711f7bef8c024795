// The CLI as users run it: a child process per case. The CLI is compiled (with the config
// module it imports) into a private directory first, so the test neither depends on a stale
// dist/ nor races other test files rebuilding it. `npm test` also builds dist/ in pretest.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ENV_ONLY, FLAGS } from '../src/config/flags.js';

const root = join(import.meta.dirname, '..');
let outDir = '';
let cli = '';
// Inside the repo so the compiled CLI resolves node_modules; .tmp/ is git-ignored.
mkdirSync(join(root, '.tmp'), { recursive: true });
// Created while the file is collected: the it.each tables below write their inputs here.
const files = mkdtempSync(join(root, '.tmp', 'cli-files-'));

beforeAll(() => {
  outDir = mkdtempSync(join(root, '.tmp', 'cli-test-'));
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), 'src/cli.ts', '--outDir', outDir, '--rootDir', '.',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node'], { cwd: root, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the tree (other work in progress) still emit JavaScript.
  }
  cli = join(outDir, 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error('the CLI did not compile');
}, 60_000);
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

/** Runs the CLI with a clean environment (only PATH and what the case adds). */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: files, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
const write = (name: string, text: string) => {
  writeFileSync(join(files, name), text);
  return name;
};
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('cassia-ac-proxy CLI', () => {
  it.each([[['--help']], [['-h']], [['serve', '--help']], [['help']]])('%j lists every flag with its env variable, demo mode, endpoints and an example', async (args) => {
    const { code, stdout } = await run(args);
    expect(code).toBe(0);
    for (const spec of FLAGS) expect(stdout).toContain(`--${spec.flag}`);
    for (const env of [...FLAGS.flatMap((f) => (f.env ? [f.env] : [])), ...ENV_ONLY.map((e) => e.env)]) expect(stdout).toContain(env);
    expect(stdout).toMatch(/Demo mode/);
    expect(stdout).toMatch(/\/metrics/);
    expect(stdout).toMatch(/status page/);
    expect(stdout).toMatch(/default: 127\.0\.0\.1:8080\s+env PROXY_LISTEN/);
    expect(stdout).toMatch(/Examples?:/);
  });

  it('check-config --help explains the command', async () => {
    const { code, stdout } = await run(['check-config', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: cassia-ac-proxy check-config FILE/);
  });

  it.each([[['--version']], [['-v']]])('%j prints the package version', async (args) => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await run(args);
    expect([code, stdout.trim()]).toEqual([0, version]);
  });

  it('check-config with a good file prints the resolved config, secrets masked, exit 0', async () => {
    const file = write('good.yaml', 'upstream: https://ac.example.com\ntimeouts: { connect: 2s }\n');
    const { code, stdout, stderr } = await run(['check-config', file], { CASSIA_AC_KEY: 'k', CASSIA_AC_SECRET: 'hunter2-secret', LOG_LEVEL: 'warn' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toContain('hunter2-secret');
    const printed = YAML.parse(stdout);
    expect(printed.upstream).toBe('https://ac.example.com/');
    expect(printed.discovery.secret).toBe('***');
    expect(printed.timeouts.connect).toBe('2s');
    expect(printed.log.level).toBe('warn'); // the environment is applied too
  });

  it.each<[string, string[], RegExp]>([
    ['a bad file', ['check-config', write('bad.yaml', 'timeouts:\n  conect: 5s\n')], /bad\.yaml: unknown key "timeouts\.conect" — did you mean "timeouts\.connect"\?/],
    ['a missing file', ['check-config', 'missing.yaml'], /missing\.yaml: file not found/],
    ['no file', ['check-config'], /check-config needs a FILE/],
    ['listen and admin on one address', ['check-config', write('clash.yaml', 'listen: 127.0.0.1:9000\nadmin: 127.0.0.1:9000\n')],
      /clash\.yaml: admin = "127\.0\.0\.1:9000" — expected another address than listen/],
    ['upstreamInsecure with upstreamCa', ['check-config', write('insecure-ca.yaml', `upstreamCa: ${write('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')}\nupstreamInsecure: true\n`)],
      /insecure-ca\.yaml: upstreamInsecure = true — expected not together with upstreamCa/],
  ])('check-config with %s exits 1 naming the problem', async (_name, args, pattern) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(pattern);
    noStack(stderr);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['a bad config file', ['--config', write('bad-serve.yaml', 'listen: nowhere\n')], {}, /bad-serve\.yaml: listen = "nowhere" — expected host:port/],
    ['a bad environment variable', ['serve'], { CASSIA_AC_URL: 'ftp://ac' }, /environment: CASSIA_AC_URL = "ftp:\/\/ac" — expected an http/],
    ['an unknown flag', ['serve', '--upstrem', 'https://ac'], {}, /unknown flag "--upstrem" — did you mean "--upstream"\?/],
    ['probes without credentials', ['--upstream', 'https://ac.example.com', '--probe'], {}, /command line: --probe = true — expected discovery\.key and discovery\.secret/],
    ['a zero probe interval', ['--probe-interval', '0'], {}, /command line: --probe-interval = "0" — expected a duration .*, at least 1s/],
    ['a zero probe rate', ['--config', write('rate.yaml', 'probe: { maxPerSecond: 0 }\n')], {}, /rate\.yaml: probe\.maxPerSecond = 0 — expected a number greater than 0/],
    ['an unknown probe call', ['--config', write('call.yaml', 'probe: { call: /api/gap/rssi }\n')], {}, /call\.yaml: probe\.call = "\/api\/gap\/rssi" — expected one of connected-devices/],
  ])('serve with %s exits 2 with one line per problem and no stack trace', async (_name, args, env, pattern) => {
    const { code, stderr } = await run(args, env);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('cassia-ac-proxy: invalid configuration');
    expect(stderr).toMatch(pattern);
    // One problem, one line.
    expect(stderr.trim().split('\n')).toHaveLength(2);
    noStack(stderr);
  });

  // A sidecar that forwards without measuring is the worst state for this product: a failure to
  // start must close whatever was opened and exit 1, whether the proxy or the demo was starting.
  it.each<[string, string[]]>([
    ['the proxy', ['--upstream', 'http://127.0.0.1:9']],
    ['the demo', []],
  ])('regression: %s with a busy admin port exits 1 with nothing left listening', async (_name, upstream) => {
    const { tcpServer, closedPort } = await import('./helpers/servers.js');
    const busy = await tcpServer(() => undefined);
    try {
      const listenPort = await closedPort();
      const { code, stdout, stderr } = await run(['serve', ...upstream, '--listen', `127.0.0.1:${listenPort}`, '--admin-listen', `127.0.0.1:${busy.port}`]);
      expect(code, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(1);
      expect(stderr.trim()).toBe(`cassia-ac-proxy: cannot listen on 127.0.0.1:${busy.port} (admin, --admin-listen, ADMIN_LISTEN): the address is already in use`);
      await expect(fetch(`http://127.0.0.1:${listenPort}/`)).rejects.toThrow();
    } finally {
      await busy.close();
    }
  });

  it('report --help lists its flags, the credential variables and the exit codes', async () => {
    const { code, stdout } = await run(['report', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: cassia-ac-proxy report --prometheus URL/);
    for (const flag of ['--range', '--selector', '--format', '--out', '--timeout', '--prometheus-user', '--prometheus-password', '--prometheus-token', '--prometheus-header']) {
      expect(stdout).toContain(flag);
    }
    for (const env of ['CASSIA_PROXY_PROMETHEUS_USER', 'CASSIA_PROXY_PROMETHEUS_PASSWORD', 'CASSIA_PROXY_PROMETHEUS_TOKEN']) expect(stdout).toContain(env);
    expect(stdout).toMatch(/Exit codes/);
  });

  it.each<[string, string[], RegExp]>([
    ['no --prometheus', ['report'], /report needs --prometheus URL/],
    ['a bad range', ['report', '--prometheus', 'http://127.0.0.1:9', '--range', 'a day'], /--range: expected a duration/],
    ['a misspelt flag', ['report', '--prometheus', 'http://127.0.0.1:9', '--formt', 'json'], /unknown option --formt — did you mean --format\?/],
  ])('report with %s exits 2 with one line', async (_name, args, pattern) => {
    const { code, stdout, stderr } = await run(args);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(pattern);
  });

  it('report against a closed port exits 1 naming the URL and the selector, never the password', async () => {
    const { closedPort } = await import('./helpers/servers.js');
    const url = `http://127.0.0.1:${await closedPort()}/prometheus`;
    const { code, stdout, stderr } = await run(['report', '--prometheus', url], { CASSIA_PROXY_PROMETHEUS_USER: 'ops', CASSIA_PROXY_PROMETHEUS_PASSWORD: 'pw-7f3a9' });
    expect([code, stdout]).toEqual([1, '']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`cannot reach Prometheus at ${url}: ECONNREFUSED`);
    expect(stderr).toContain('selector {job="cassia-ac-proxy"}');
    expect(stderr).not.toContain('pw-7f3a9');
    noStack(stderr);
  });

  it('an unknown command exits 2 with a suggestion', async () => {
    const { code, stderr } = await run(['chek-config', 'x.yaml']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "chek-config" — did you mean "check-config"\?/);
  });
});
