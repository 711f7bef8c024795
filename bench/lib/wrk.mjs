// Runs Debian's wrk pinned to a CPU and parses its `--latency` report.
import { existsSync } from 'node:fs';
import { spawnPinned } from './procs.mjs';

export const WRK = '/usr/bin/wrk';

/** True when wrk is installed where the harness looks for it. */
export function hasWrk() {
  return existsSync(WRK);
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60000 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number.NaN;
}

/** Parses wrk's text output (with --latency) into numbers; latencies in ms. */
export function parseWrk(text) {
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    return m ? toMs(m[1]) : Number.NaN;
  };
  const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: requests ? Number(requests[1]) : 0,
    seconds: requests ? toMs(`${requests[2]}${requests[3]}`) / 1000 : Number.NaN,
    rps: rps ? Number(rps[1]) : Number.NaN,
    p50: pct(50),
    p99: pct(99),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/**
 * One wrk run against `url` for `seconds` with `connections` connections on one thread,
 * pinned to `cpu`; killed if it overruns by 15 s. `onStart` fires once wrk is spawned.
 */
export async function runWrk({ url, seconds, connections, cpu }) {
  const child = spawnPinned(cpu, WRK, ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const killer = setTimeout(() => {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }, (seconds + 15) * 1000);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err || out}`);
  return parseWrk(out);
}
