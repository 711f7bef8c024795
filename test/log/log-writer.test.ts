/**
 * The line writer's modes, in process: which way it writes to each kind of target, and what it
 * does when the target cannot take more (a full pipe: retry later, keep the lines) or is gone (a
 * reader that closed, a descriptor that is not open: refuse further lines and count them). The
 * cross-process behaviour on a pipe nobody reads is log-writer-pipe.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLineWriter } from '../../src/log-writer.js';
import { until } from '../helpers/until.js';

const dir = mkdtempSync(join(tmpdir(), 'cassia-writer-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasProc = existsSync('/proc/self/fd');

/** A FIFO with a reader attached (paused until the test reads) and a blocking write end. */
function fifo(): { writeFd: number; reader: Socket } {
  const path = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${String(made.stderr)}`);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  rmSync(path);
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  reader.pause();
  return { writeFd, reader };
}

/** A descriptor number no process can have open (above Linux's largest possible limit, nr_open). */
const NEVER_OPEN_FD = 2 ** 30;

const line = (i: number): string => `line ${String(i).padStart(5, '0')} ${'x'.repeat(88)}\n`;

describe('line writer modes', () => {
  it('writes a regular file with direct system calls', () => {
    const w = createLineWriter(join(dir, 'file.log'));
    expect(w.mode).toBe('direct');
    w.write('one\n');
    w.end();
    expect(readFileSync(join(dir, 'file.log'), 'utf8')).toBe('one\n');
  });

  it.runIf(hasProc)('writes a character device (/dev/null) with direct system calls, through a description of its own', () => {
    const w = createLineWriter('/dev/null');
    expect(w.mode).toBe('direct');
    expect(w.write('gone\n')).toBe(true);
    w.end();
    expect(w.dropped()).toBe(0);
  });

  it.runIf(hasProc)('on a full FIFO keeps the lines and delivers them whole and in order once the reader reads', async () => {
    const { writeFd, reader } = fifo();
    const w = createLineWriter(writeFd, { flushBytes: 4096, intervalMs: 10, maxBufferBytes: 4 * 1024 * 1024 });
    try {
      expect(w.mode).toBe('direct');
      // ~200 KB: three times what a pipe holds. Writing never waits for the reader.
      for (let i = 0; i < 2000; i++) expect(w.write(line(i))).toBe(true);
      w.flush();
      expect(w.dropped()).toBe(0);
      let out = '';
      reader.setEncoding('utf8');
      reader.on('data', (d: string) => { out += d; });
      reader.resume();
      const all = Array.from({ length: 2000 }, (_, i) => line(i)).join('');
      await until(() => out.length >= all.length, 10_000, 'every line through the FIFO once the reader reads');
      expect(out).toBe(all);
    } finally {
      w.end();
      closeSync(writeFd);
      reader.destroy();
    }
  });

  it.runIf(hasProc)('refuses and counts every line once the FIFO\'s reader went away (EPIPE)', async () => {
    const { writeFd, reader } = fifo();
    const w = createLineWriter(writeFd, { flushBytes: 1 << 20, intervalMs: 60_000 });
    try {
      expect(w.mode).toBe('direct');
      reader.destroy();
      await until(() => reader.destroyed, 5_000, 'the reader closed');
      expect(w.write(line(0))).toBe(true);
      w.flush(); // EPIPE: the reader is gone for good
      expect(w.write(line(1))).toBe(false);
      expect(w.writeBytes(8, (buf, off) => off + buf.write('bytes\n', off), null)).toBe(false);
      expect(w.dropped()).toBe(2);
    } finally {
      w.end();
      closeSync(writeFd);
    }
  });

  it('falls back to the thread pool when the target cannot be inspected, and counts lines it could not deliver as dropped', async () => {
    const w = createLineWriter(NEVER_OPEN_FD, { flushBytes: 1 << 20, intervalMs: 60_000 });
    try {
      expect(w.mode).toBe('pool');
      expect(w.write(line(0))).toBe(true);
      w.flush(); // fs.write answers EBADF on the pool: the target is gone
      await until(() => !w.write(line(1)), 5_000, 'the writer to notice its target is gone');
      expect(w.dropped()).toBeGreaterThanOrEqual(1);
      const before = w.dropped();
      expect(w.write(line(2))).toBe(false);
      expect(w.dropped()).toBe(before + 1);
    } finally {
      w.end();
    }
  });
});
