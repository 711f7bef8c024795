// The fleet report's query pool: a bounded number in flight, urgent queries before the rest, and
// after a failure nothing more is asked.
import { describe, expect, it } from 'vitest';
import { QueryPool } from '../../src/fleet/pool.js';

/** A task that runs until `release()`: records when it started and how many ran at once. */
function gated(log: string[], name: string, live: { now: number; max: number }) {
  let release!: (value: string) => void;
  let fail!: (error: Error) => void;
  const task = () => {
    log.push(name);
    live.now++;
    live.max = Math.max(live.max, live.now);
    return new Promise<string>((resolve, reject) => {
      release = (v) => { live.now--; resolve(v); };
      fail = (e) => { live.now--; reject(e); };
    });
  };
  return { task, release: () => release(name), fail: (e: Error) => fail(e) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('query pool', () => {
  it('runs at most `limit` at once, the urgent ones queued first', async () => {
    const pool = new QueryPool(2);
    const log: string[] = [];
    const live = { now: 0, max: 0 };
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((n) => gated(log, n, live));
    const [a, b, c, d, e] = tasks as [typeof tasks[0], typeof tasks[0], typeof tasks[0], typeof tasks[0], typeof tasks[0]];
    const answers = [pool.run(a.task, 'later'), pool.run(b.task, 'later'), pool.run(c.task, 'later'), pool.run(d.task), pool.run(e.task)];
    await settle();
    expect(log).toEqual(['a', 'b']);
    a.release();
    await settle();
    // d and e were queued after c but are urgent.
    expect(log).toEqual(['a', 'b', 'd']);
    b.release();
    await settle();
    d.release();
    await settle();
    e.release();
    await settle();
    c.release();
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(log).toEqual(['a', 'b', 'd', 'e', 'c']);
    expect(live.max).toBe(2);
  });

  it('after a failure, queued tasks fail with the same error without running; later ones too', async () => {
    const pool = new QueryPool(1);
    const log: string[] = [];
    const live = { now: 0, max: 0 };
    const a = gated(log, 'a', live);
    const b = gated(log, 'b', live);
    const first = pool.run(a.task);
    const queued = pool.run(b.task, 'later');
    const boom = new Error('too many samples');
    a.fail(boom);
    await expect(first).rejects.toBe(boom);
    await expect(queued).rejects.toBe(boom);
    await expect(pool.run(b.task)).rejects.toBe(boom);
    expect(log).toEqual(['a']);
  });

  it('a failure nobody awaits yet is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pool = new QueryPool(1);
      const answer = pool.run(() => Promise.reject(new Error('late')), 'later');
      await settle();
      await settle();
      expect(unhandled).toEqual([]);
      await expect(answer).rejects.toThrow('late');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
