// A family's exact increments from the sums answers: grouped by the family's own labels whatever
// else the answer carries, end minus start per pair, pairs added, never below 0.
import { describe, expect, it } from 'vitest';
import type { InstantSample } from '../../src/fleet/client.js';
import { familyIncrements } from '../../src/fleet/counts.js';
import { COUNTER_FAMILIES } from '../../src/fleet/queries.js';

const REQ = COUNTER_FAMILIES.gatewayRequests;
const row = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value });
const req = (gateway: string, code: string, value: number, extra: Record<string, string> = {}): InstantSample =>
  row({ __name__: REQ.metric, gateway, transport: 'capwap', code, ...extra }, value);
const sorted = (rows: InstantSample[]): InstantSample[] =>
  [...rows].sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));

describe('familyIncrements', () => {
  it.each<[string, Array<[InstantSample[], InstantSample[]]>, InstantSample[]]>([
    ['end minus start per group', [[[req('A', '200', 10), req('A', '502', 3)], [req('A', '200', 4)]]],
      [row({ gateway: 'A', transport: 'capwap', code: '200' }, 6), row({ gateway: 'A', transport: 'capwap', code: '502' }, 3)]],
    ['rows of other families and labels the family has not are left out or summed away',
      [[[req('A', '200', 10, { origin: 'x' }), req('A', '200', 5, { origin: 'y' }), row({ __name__: 'cassia_proxy_events_total', gateway: 'A', transport: 'capwap' }, 99)], []]],
      [row({ gateway: 'A', transport: 'capwap', code: '200' }, 15)]],
    ['the pairs add up (a restarted proxy\'s processes beside the steady proxies)',
      [[[req('A', '200', 10)], [req('A', '200', 8)]], [[req('A', '200', 7), req('A', '200', 4)], [req('A', '200', 1)]]],
      [row({ gateway: 'A', transport: 'capwap', code: '200' }, 12)]],
    ['a group only at the start adds nothing; one that fell counts 0',
      [[[req('A', '200', 3)], [req('A', '200', 5), req('B', '200', 9)]]],
      [row({ gateway: 'A', transport: 'capwap', code: '200' }, 0)]],
  ])('%s', (_, pairs, want) => {
    expect(sorted(familyIncrements(REQ, pairs))).toEqual(sorted(want));
  });
});
