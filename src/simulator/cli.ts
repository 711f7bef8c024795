/**
 * `cassia-ac-proxy simulate`: runs the simulator alone until SIGINT/SIGTERM (or `io.signal`).
 * Resolves the exit code: 0 after a clean stop, 2 for bad options.
 */
import { parseArgs } from 'node:util';
import { createSimulator, type KeepaliveForm } from './index.js';

const HELP = `Usage: cassia-ac-proxy simulate [options]

Runs a stand-in Cassia AC with seeded fault injection and ground truth (GET /__sim/truth).

Options:
  --listen HOST:PORT           where to listen (default 127.0.0.1:8088; port 0 = any free port)
  --gateways N                 number of gateways (default 10)
  --capwap N                   how many of them use CAPWAP, the rest MQTT (default half)
  --devices-per-gateway N      devices near each gateway (default 20)
  --seed S                     seed of every random choice (default 1)
  --profile FILE|clean|default fault profiles, YAML or JSON (see docs/simulator.md)
  --key KEY, --secret SECRET   OAuth client (default sim-key / sim-secret)
  --token-ttl DURATION         token lifetime (default 1h)
  --keepalive DURATION         keep-alive period of event streams (default 30s)
  --keepalive-form FORM        comment | event | data | mixed (default comment)
  --scan-interval DURATION     each device advertises once per interval (default 1s)
  --notify-interval DURATION   each connected device notifies once per interval (default 1s)
  --rssi-interval DURATION     each connected device reports its RSSI once per interval (default 1s)
  --connected-per-gateway N    devices connected at start on each gateway (default 2)
  --max-streams-per-gateway N  event streams one gateway accepts; past that 500 no resources (default 25)
  -h, --help                   this text

Durations: 250ms, 30s, 5m, 1h (a unit is required, as for serve).
`;

/** Where the CLI writes; tests pass their own and an AbortSignal instead of sending signals. */
export interface SimulateIo {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  signal?: AbortSignal;
}

/** `250ms`, `30s`, `5m`, `1h`; a bare number is refused, as `serve` refuses it (ms or s?). */
function duration(name: string, text: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) {
    throw new Error(`--${name}: bad duration ${JSON.stringify(text)} (a bare number is ambiguous: write ${text.trim()}ms or ${text.trim()}s)`);
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`--${name}: bad duration ${JSON.stringify(text)} (use e.g. 250ms, 30s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new Error(`--${name}: must be positive, got ${JSON.stringify(text)}`);
  return ms;
}

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`--${name}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function listen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** Runs the simulator from command-line arguments (without the `simulate` word). */
export async function simulateMain(argv: string[], io: SimulateIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let options: Parameters<typeof createSimulator>[0];
  try {
    const { values } = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        listen: { type: 'string' }, gateways: { type: 'string' }, capwap: { type: 'string' },
        'devices-per-gateway': { type: 'string' }, seed: { type: 'string' }, profile: { type: 'string' },
        key: { type: 'string' }, secret: { type: 'string' }, 'token-ttl': { type: 'string' },
        keepalive: { type: 'string' }, 'keepalive-form': { type: 'string' }, 'scan-interval': { type: 'string' },
        'notify-interval': { type: 'string' }, 'rssi-interval': { type: 'string' }, 'connected-per-gateway': { type: 'string' },
        'max-streams-per-gateway': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      stdout.write(HELP);
      return 0;
    }
    const form = values['keepalive-form'] ?? 'comment';
    if (!['comment', 'event', 'data', 'mixed'].includes(form)) throw new Error(`--keepalive-form: expected comment, event, data or mixed, got ${JSON.stringify(form)}`);
    const gateways = integer('gateways', values.gateways, 10);
    if (gateways < 1) throw new Error('--gateways: at least 1');
    const address = listen(values.listen ?? '127.0.0.1:8088');
    options = {
      host: address.host, port: address.port, gateways,
      capwap: integer('capwap', values.capwap, Math.ceil(gateways / 2)),
      devicesPerGateway: integer('devices-per-gateway', values['devices-per-gateway'], 20),
      seed: values.seed ?? 1, profile: values.profile, key: values.key, secret: values.secret,
      tokenTtlSeconds: values['token-ttl'] ? duration('token-ttl', values['token-ttl']) / 1000 : undefined,
      keepaliveMs: values.keepalive ? duration('keepalive', values.keepalive) : undefined,
      keepaliveForm: form as KeepaliveForm,
      scanIntervalMs: values['scan-interval'] ? duration('scan-interval', values['scan-interval']) : undefined,
      notifyIntervalMs: values['notify-interval'] ? duration('notify-interval', values['notify-interval']) : undefined,
      rssiIntervalMs: values['rssi-interval'] ? duration('rssi-interval', values['rssi-interval']) : undefined,
      connectedPerGateway: integer('connected-per-gateway', values['connected-per-gateway'], 2),
      maxStreamsPerGateway: integer('max-streams-per-gateway', values['max-streams-per-gateway'], 25),
    };
  } catch (err) {
    stderr.write(`cassia-ac-proxy simulate: ${(err as Error).message}\nTry --help.\n`);
    return 2;
  }
  let sim;
  try {
    sim = await createSimulator(options);
  } catch (err) {
    const e = err as Error & { code?: string };
    stderr.write(`cassia-ac-proxy simulate: ${e.message}\n`);
    return e.code === 'SIM_BAD_PROFILE' || err instanceof RangeError ? 2 : 1;
  }
  const capwap = options?.capwap ?? 0;
  stdout.write([
    `Cassia AC simulator listening on ${sim.url}`,
    `  OAuth client: key=${sim.key} secret=${sim.secret}  (POST ${sim.url}/api/oauth2/token)`,
    `  gateways: ${sim.gateways.length} (${capwap} CAPWAP, ${sim.gateways.length - capwap} MQTT), ${sim.gateways[0]} .. ${sim.gateways.at(-1)}`,
    `  truth: GET ${sim.url}/__sim/truth   faults: POST ${sim.url}/__sim/faults`,
    '  Ctrl-C to stop.',
    '',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await sim.close();
  stdout.write('simulator stopped\n');
  return 0;
}
