/**
 * The line writer on a pipe, as stdout is in a container: a reader that stops reading must never
 * block the writing process (its event loop keeps running), lines beyond the buffer limit are
 * dropped and counted, and what the reader gets is whole lines in order — all of them once it
 * reads again and the writer flushes at exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';

const WRITER = pathToFileURL(resolve('dist/src/log-writer.js')).href;
const LINES = 5000;

// The child writes LINES lines of ~100 bytes to its stdout (a pipe nobody reads yet), then, from a
// timer (which runs only if the event loop was never blocked), reports on stderr and waits for
// SIGUSR2 to flush and exit.
const CHILD = `
import { createLineWriter } from ${JSON.stringify(WRITER)};
const w = createLineWriter(1, { flushBytes: 1024, intervalMs: 10, maxBufferBytes: 256 * 1024 });
let accepted = 0;
for (let i = 0; i < ${LINES}; i++) if (w.write('line ' + String(i).padStart(5, '0') + ' ' + 'x'.repeat(88) + '\\n')) accepted++;
setTimeout(() => {
  process.stderr.write(JSON.stringify({ mode: w.mode, accepted, dropped: w.dropped() }) + '\\n');
}, 50);
process.on('SIGUSR2', () => { w.end(); process.exit(0); });
setInterval(() => {}, 1000);
`;

const dir = mkdtempSync(join(tmpdir(), 'cassia-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The child's stdout as a FIFO (what docker and containerd hand a container) and our read end. */
function fifoStdout(): { stdout: number; reader: Readable } {
  const path = join(dir, `fifo-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  rmSync(path);
  return { stdout: writeFd, reader: new Socket({ fd: readFd, readable: true, writable: false }) };
}

describe('line writer on a pipe', () => {
  it.each([
    // A Node parent's 'pipe' is a socketpair: no second description can be opened, so the thread pool writes.
    ['a socket (a Node parent\'s stdio pipe)', 'pool'],
    ['a FIFO (a container\'s stdout)', 'direct'],
  ])('on %s (%s): never blocks on a reader that stopped, drops past its limit, delivers whole lines in order', async (kind, expectedMode) => {
    const fifo = expectedMode === 'direct' ? fifoStdout() : null;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', fifo ? fifo.stdout : 'pipe', 'pipe'] });
    if (fifo) closeSync(fifo.stdout);
    const stdout = fifo ? fifo.reader : (child.stdout as Readable);
    try {
      let report = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => { report += d; });
      // Nobody reads the child's stdout yet: the pipe fills after ~64 KiB.
      stdout.pause();
      await until(() => report.includes('\n'), 20_000, `the child's report, written while its stdout (${kind}) was full`);
      const { mode, accepted, dropped } = JSON.parse(report) as { mode: string; accepted: number; dropped: number };
      if (existsSync('/proc/self/fd')) expect(mode).toBe(expectedMode);
      // 5,000 × 100 B cannot fit the pipe plus a 256 KiB buffer: the rest was dropped and counted.
      expect(dropped).toBeGreaterThan(0);
      expect(accepted + dropped).toBe(LINES);

      let out = '';
      stdout.setEncoding('utf8');
      stdout.on('data', (d: string) => { out += d; });
      const ended = new Promise<void>((r) => stdout.once('end', () => r()));
      stdout.resume();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGUSR2');
      expect(await exited).toBe(0);
      await ended;
      const lines = out.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(accepted);
      lines.forEach((line, i) => expect(line).toBe(`line ${String(i).padStart(5, '0')} ${'x'.repeat(88)}`));
    } finally {
      child.kill('SIGKILL');
      stdout.destroy();
    }
  });
});
