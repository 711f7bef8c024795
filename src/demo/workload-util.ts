/** Pure helpers of the demo workload (tested on their own). */

/** One SSE block (text between blank lines): a keep-alive in any of the three forms, or data. */
export function parseSseBlock(block: string): { keepalive: boolean; data: string | null } {
  let data: string | null = null;
  let event: string | null = null;
  let comment = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comment = true;
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data = (data === null ? '' : `${data}\n`) + line.slice(5).replace(/^ /, '');
  }
  if (event === 'keep-alive' || (data !== null && data.trim() === 'keep-alive') || (comment && data === null)) {
    return { keepalive: true, data: null };
  }
  return { keepalive: false, data };
}

/** True when the token should be refreshed: in its last 10 % of life, or last 30 s, whichever is less. */
export function tokenExpiringSoon(expiresAt: number, ttlMs: number, now: number): boolean {
  return now >= expiresAt - Math.min(30_000, ttlMs * 0.1);
}

/** Next reconnect delay: 250 ms doubling to 10 s, with ±20 % jitter so streams do not reopen in lockstep. */
export function nextBackoff(previous: number): number {
  const base = previous <= 0 ? 250 : Math.min(10_000, previous * 2);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
