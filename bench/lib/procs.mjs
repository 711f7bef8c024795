// Child-process plumbing for the benchmarks: pinned spawning, a registry of every child so
// each is stopped by PID (also on SIGINT and on error), and /proc readings (CPU time, RSS).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const children = new Set();

/**
 * The node flags the product runs with: those of `npm start`, which the Docker image's ENTRYPOINT
 * repeats (V8's young generation fixed at 2 × 16 MiB, docs/operations.md "Memory").
 */
export const PRODUCT_NODE_FLAGS = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  .scripts.start.split(' ').filter((arg) => arg.startsWith('--'));

/** Clock ticks per second for /proc/<pid>/stat utime/stime. */
export const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Pins this process (all its threads) to `cpu` so it keeps off the proxy's core. */
export function pinSelf(cpu) {
  spawnSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/**
 * A FIFO for a child's fd 3, drained by `cat > /dev/null` on the load CPU at a higher priority
 * than the load (a log reader that keeps up, as docker's and containerd's do): the proxy writes
 * its logs there (bench/lib/proxy-process.mjs), as into the FIFO a container runtime gives a
 * container's stdout.
 */
function logFifo(readerCpu) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-log-'));
  const path = join(dir, 'log');
  try {
    const made = spawnSync('mkfifo', [path]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
    // Non-blocking so that the open returns before a writer exists; the reader gets a blocking copy.
    const probe = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY);
    const readFd = openSync(`/proc/self/fd/${probe}`, constants.O_RDONLY);
    closeSync(probe);
    const drain = spawn('taskset', ['-c', String(readerCpu), 'nice', '-n', '-5', 'cat'], { stdio: [readFd, 'ignore', 'ignore'] });
    closeSync(readFd);
    children.add(drain);
    drain.once('exit', () => children.delete(drain));
    return { writeFd, drain };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Spawns `command args` pinned to `cpu` with `taskset -c`; registered for cleanup. `logPipe`:
 * fd 3 of the child is a drained FIFO (logFifo).
 */
export function spawnPinned(cpu, command, args, options = {}) {
  const { logPipe = false, ...spawnOptions } = options;
  const log = logPipe ? logFifo(cpu === 0 ? 1 : 0) : null;
  const stdio = log ? ['pipe', 'pipe', 'pipe', log.writeFd] : ['pipe', 'pipe', 'pipe'];
  const child = spawn('taskset', ['-c', String(cpu), command, ...args], { stdio, ...spawnOptions });
  if (log) {
    closeSync(log.writeFd);
    // cat ends by itself when the child's end of the FIFO closes; this is for a child that hangs.
    child.once('exit', () => log.drain.kill());
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  // taskset execs the command, so child.pid is the command's own PID.
  return child;
}

/** Registers a child started elsewhere, so that it too is stopped by PID on exit, signal or error. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Reads the first JSON line a child prints on stdout (bounded by `timeoutMs`). */
export async function firstJsonLine(child, timeoutMs = 15000) {
  let text = '';
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${child.pid} printed no JSON line in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    const onData = (d) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      try {
        resolve(JSON.parse(text.slice(0, nl)));
      } catch (err) {
        reject(err);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child ${child.pid} exited (${code}) before printing its URL: ${stderr}`));
    });
  });
}

/** Stops one child by PID: `signal`, then SIGKILL after `graceMs`. */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child still running, each by its PID. */
export async function stopAll() {
  await Promise.all([...children].map((child) => stopChild(child)));
}

/** Synchronous last resort (process 'exit'): SIGKILL each remaining child by PID. */
function killAllSync() {
  for (const child of children) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** Stops all children on SIGINT/SIGTERM, uncaught errors and exit. */
export function installCleanup() {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping children`);
      stopAll().finally(() => process.exit(130));
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    stopAll().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    console.error(err);
    stopAll().finally(() => process.exit(1));
  });
}

/** utime+stime of `pid` (all its threads), in seconds; NaN once the process is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * `pid`'s resident memory in bytes split as /proc reports it: `anon` (heap and stacks: what the
 * process allocated) and `file` (pages of mapped files, e.g. a database's blocks read through
 * mmap: the kernel may drop them under pressure). NaN when the process is gone.
 */
export function rssSplit(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { anon: Number.NaN, file: Number.NaN };
  }
}

/** Direct children of `pid` (e.g. nginx's workers under its master). */
export function childPids(pid) {
  const out = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list) out.push(...list.split(' ').map(Number));
    }
  } catch { /* gone */ }
  return out;
}

/** Sums a per-pid reading over several pids. */
export function sumOver(pids, read) {
  return pids.reduce((acc, pid) => acc + read(pid), 0);
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Busy and total time of one CPU so far, in seconds, from /proc/stat (to detect other load). */
export function cpuTimes(cpu) {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLK_TCK, total: (busy + idle + iowait) / CLK_TCK };
}

/** Share of `cpu` used by everything except `ownSeconds` between two cpuTimes() readings. */
export function otherLoad(before, after, ownSeconds) {
  const total = after.total - before.total;
  return total > 0 ? Math.max(0, (after.busy - before.busy - ownSeconds) / total) : Number.NaN;
}
