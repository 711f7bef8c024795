/** `simulateMain`: help, bad options, and a run stopped by its signal. */
import { describe, expect, it } from 'vitest';
import { simulateMain } from '../../src/simulator/cli.js';
import { until } from '../helpers/until.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } };
}

describe('simulateMain', () => {
  it('prints help and resolves 0', async () => {
    const c = capture();
    expect(await simulateMain(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/--devices-per-gateway/);
    expect(c.out.join('')).toMatch(/--rssi-interval DURATION/);
  });

  it.each([
    [['--gateways', 'many']],
    [['--keepalive', 'soon']],
    [['--rssi-interval', '0s']],
    // A bare number is refused, as serve refuses it: milliseconds or seconds?
    [['--keepalive', '500']],
    [['--listen', 'nowhere']],
    [['--bogus']],
    [['--keepalive-form', 'loud']],
    [['--gateways', '2', '--capwap', '3', '--listen', '127.0.0.1:0']],
    [['--profile', '/nonexistent/profile.yaml', '--listen', '127.0.0.1:0']],
  ])('rejects %j with a message and 2', async (argv) => {
    const c = capture();
    expect(await simulateMain(argv, c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/simulate: /);
  });

  it('runs, prints URL and credentials, serves, and stops with 0', async () => {
    const c = capture();
    const abort = new AbortController();
    const done = simulateMain(['--listen', '127.0.0.1:0', '--gateways', '3', '--capwap', '1', '--key', 'abc', '--secret', 'xyz'], { ...c.io, signal: abort.signal });
    const listening = (): string | undefined => /listening on (http:\/\/\S+)/.exec(c.out.join(''))?.[1];
    await until(() => listening() !== undefined, 10_000, 'the listening line');
    const url = listening();
    expect(c.out.join('')).toMatch(/key=abc secret=xyz/);
    const truth = (await (await fetch(`${url}/__sim/truth`)).json()) as { gateways: Record<string, { transport: string }> };
    expect(Object.values(truth.gateways).map((g) => g.transport)).toEqual(['capwap', 'mqtt', 'mqtt']);
    abort.abort();
    expect(await done).toBe(0);
  });
});
