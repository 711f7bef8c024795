/**
 * `cassia-ac-proxy report`: queries Prometheus, assembles the fleet's transport report and writes
 * it as text, Markdown, JSON (the shape of `/api/report`) or HTML (the status page). Resolves the
 * exit code; every failure is one line on stderr naming the Prometheus URL and the selector.
 */
import { writeFile } from 'node:fs/promises';
import { renderStatusPage } from '../report/html.js';
import { humanDuration, parseReportArgs, REPORT_HELP, type ReportArgs } from './args.js';
import { createPromClient, displayUrl, FleetError, type QueryStats } from './client.js';
import { collectFleet, type FleetReport } from './collect.js';
import { planLine, renderMarkdown, renderText } from './format.js';

export interface ReportIo {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** The environment to read (credentials may come from it): the command passes its process's. */
  env: Readonly<Record<string, string | undefined>>;
  /** Evaluation time (unix ms); default now. */
  now?: number;
}

/** The report in the chosen format. */
export function render(fleet: FleetReport, format: ReportArgs['format']): string {
  switch (format) {
    case 'json': return `${JSON.stringify(fleet.report, null, 2)}\n`;
    case 'markdown': return renderMarkdown(fleet);
    case 'html': {
      const range = humanDuration(fleet.source.rangeSeconds);
      return renderStatusPage(fleet.report, fleet.gateways, {
        subtitle: 'fleet report',
        since: `last ${range}`,
        source: `${fleet.proxies} proxy instance${fleet.proxies === 1 ? '' : 's'} via ${fleet.source.prometheus}, selector ${fleet.source.selector}, range ${range}; ${planLine(fleet)}`,
        live: false,
      }).toString();
    }
    default: return renderText(fleet);
  }
}

/** Each answered query's cost as a JSON line, to a file or (for `-`) stderr; a write failure is said, not fatal. */
async function writeStats(where: string, stats: readonly QueryStats[], stderr: { write(text: string): unknown }): Promise<void> {
  const lines = stats.map((s) => `${JSON.stringify(s)}\n`).join('');
  if (where === '-') {
    stderr.write(lines);
    return;
  }
  await writeFile(where, lines).catch((error: NodeJS.ErrnoException) => {
    stderr.write(`cassia-ac-proxy report: cannot write ${where}: ${error.code ?? error.message}\n`);
  });
}

/** Runs the command with the arguments after `report`. */
export async function reportMain(argv: readonly string[], io: ReportIo): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const fail = (message: string, code: number): number => {
    stderr.write(`cassia-ac-proxy report: ${message}\n`);
    return code;
  };
  let args: ReportArgs;
  try {
    args = parseReportArgs(argv, io.env);
  } catch (error) {
    if (error instanceof FleetError) return fail(error.message, error.exitCode);
    throw error;
  }
  if (args.help) {
    stdout.write(REPORT_HELP);
    return 0;
  }
  const where = displayUrl(args.url);
  const context = (message: string): string =>
    `${message}${message.includes(where) ? '' : ` (Prometheus ${where})`}${message.includes(args.selector) ? '' : ` (selector ${args.selector})`}`;
  let text: string;
  const now = args.time ?? io.now ?? Date.now();
  const stats: QueryStats[] = [];
  const client = createPromClient({
    url: args.url, headers: args.headers, timeoutMs: args.timeoutMs, time: now,
    ...(args.queryStats !== null ? { onStats: (s: QueryStats) => stats.push(s) } : {}),
  });
  try {
    const fleet = await collectFleet({ client, selector: args.selector, rangeSeconds: args.rangeSeconds, now, minuteSeconds: args.changeBucketSeconds });
    text = render(fleet, args.format);
  } catch (error) {
    if (error instanceof FleetError) return fail(context(error.message), error.exitCode);
    return fail(context(`report failed: ${error instanceof Error ? error.message : String(error)}`), 1);
  } finally {
    // Queries still in flight after a failure are cut off here; their errors no longer matter.
    await client.close().catch(() => undefined);
    if (args.queryStats !== null) await writeStats(args.queryStats, stats, stderr);
  }
  if (args.out === null) {
    stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  try {
    await writeFile(args.out, text);
  } catch (error) {
    return fail(`cannot write ${args.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 1);
  }
  return 0;
}
