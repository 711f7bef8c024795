#!/usr/bin/env node
/**
 * The `cassia-ac-proxy` command: `serve` (default), `simulate`, `check-config FILE`,
 * `report --prometheus URL`, `--help`, `--version`. Exit codes: 0 ok, 1 error, 2 invalid configuration (serve).
 */
import { ConfigError, createConfigReloader, formatConfig, isConfigError, loadConfig, parseFlags } from './config/index.js';
import { nearest } from './config/errors.js';
import { checkConfigHelp, serveHelp } from './config/help.js';
import type { Config } from './config/types.js';
import { packageVersion as version } from './version.js';

const COMMANDS = ['serve', 'simulate', 'check-config', 'report'] as const;

/** What `serve` runs and later stops: the proxy, or the demo. */
interface Running {
  close(): Promise<void>;
  reload?: () => Promise<{ ok: boolean; error?: string }>;
}

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

function printProblems(error: ConfigError): void {
  err('cassia-ac-proxy: invalid configuration');
  for (const problem of error.problems) err(`  ${problem.message}`);
}

async function checkConfig(args: string[]): Promise<number> {
  const file = args[0];
  if (parseFlags(args).help) { out(checkConfigHelp()); return 0; }
  if (file === undefined || file.startsWith('-')) {
    err('cassia-ac-proxy: check-config needs a FILE: cassia-ac-proxy check-config proxy.yaml');
    return 1;
  }
  try {
    out(formatConfig(await loadConfig({ argv: ['--config', file, ...args.slice(1)], env: process.env })));
    return 0;
  } catch (error) {
    if (!isConfigError(error)) throw error;
    printProblems(error);
    return 1;
  }
}

/** Ends on the first SIGTERM/SIGINT after `close()`; a second signal exits at once. */
function installSignals(running: Running, config: Config): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) {
      err(`cassia-ac-proxy: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    // close() honours timeouts.shutdown; this is only a backstop should it hang.
    setTimeout(() => { err('cassia-ac-proxy: shutdown did not finish, exiting'); process.exit(1); }, config.timeouts.shutdown + 5000).unref();
    running.close().then(() => process.exit(0), (error: unknown) => {
      err(`cassia-ac-proxy: error during shutdown: ${(error as Error).message}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (running.reload) {
    const reload = running.reload;
    // The proxy logs the outcome and counts it; a failure here must not end the process.
    process.on('SIGHUP', () => { reload().catch((error: unknown) => err(`cassia-ac-proxy: reload failed: ${(error as Error).message}`)); });
  } else {
    // The demo has no configuration file to re-read; SIGHUP must not end it (node's default).
    process.on('SIGHUP', () => err('cassia-ac-proxy: SIGHUP ignored: the demo has no configuration to reload'));
  }
}

async function serve(args: string[]): Promise<number | undefined> {
  if (parseFlags(args).help) { out(serveHelp(version(), false)); return 0; }
  let config: Config;
  try {
    config = await loadConfig({ argv: args, env: process.env });
  } catch (error) {
    if (!isConfigError(error)) throw error;
    printProblems(error);
    return 2;
  }
  let running: Running;
  if (config.upstream === null) {
    // Imported lazily: a production start never loads the simulator and the demo workload.
    const { runDemo } = await import('./demo/run.js');
    running = await runDemo(config);
  } else {
    const { startProxy } = await import('./main.js');
    running = await startProxy(config, { reloadConfig: createConfigReloader({ argv: args, env: process.env }) });
  }
  installSignals(running, config);
  return undefined;
}

async function simulate(args: string[]): Promise<never> {
  const { simulateMain } = await import('./simulator/cli.js');
  // The simulator may leave handles open when it returns; its exit code is final.
  process.exit(await simulateMain(args));
}

async function fleetReport(args: string[]): Promise<number> {
  // Imported lazily: serving never loads the report client.
  const { reportMain } = await import('./fleet/main.js');
  return reportMain(args, { env: process.env });
}

/** Runs one command; resolves to an exit code, or undefined while `serve` keeps running. */
async function main(argv: string[]): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) {
    const flags = parseFlags(argv);
    if (flags.version) { out(version()); return 0; }
    if (flags.help) { out(serveHelp(version(), true)); return 0; }
    return serve(argv);
  }
  switch (first) {
    case 'serve': return serve(rest);
    case 'check-config': return checkConfig(rest);
    case 'simulate': return simulate(rest);
    case 'report': return fleetReport(rest);
    case 'help': out(serveHelp(version(), true)); return 0;
    default: {
      const guess = nearest(first, COMMANDS);
      err(`cassia-ac-proxy: unknown command "${first}"${guess ? ` — did you mean "${guess}"?` : ''} (commands: ${COMMANDS.join(', ')}; see --help)`);
      return 2;
    }
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
}, (error: unknown) => {
  const debug = /^(debug|trace)$/i.test(process.env.LOG_LEVEL ?? '');
  err(`cassia-ac-proxy: ${error instanceof Error ? error.message : String(error)}`);
  if (debug && error instanceof Error && error.stack) err(error.stack);
  process.exitCode = 1;
});
