/** Pure helpers of the demo workload (tested on their own). */

/** True when the token should be refreshed: in its last 10 % of life, or last 30 s, whichever is less. */
export function tokenExpiringSoon(expiresAt: number, ttlMs: number, now: number): boolean {
  return now >= expiresAt - Math.min(30_000, ttlMs * 0.1);
}

/** Next reconnect delay: 250 ms doubling to 10 s, with ±20 % jitter so streams do not reopen in lockstep. */
export function nextBackoff(previous: number): number {
  const base = previous <= 0 ? 250 : Math.min(10_000, previous * 2);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
