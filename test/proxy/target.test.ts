import { afterAll, describe, expect, it } from 'vitest';
import { parseTarget } from '../../src/proxy/target.js';
import { testConfig } from '../helpers/config.js';
import { gatewayStack } from '../helpers/gateways.js';

describe('parseTarget and the gateway it names', () => {
  const stack = gatewayStack(testConfig('http://127.0.0.1:1'));
  afterAll(() => stack.state.close());

  it.each([
    ['/api/gap/nodes?event=1&mac=cc:1b:e0:e0:00:01', '/api/gap/nodes?event=1&mac=cc:1b:e0:e0:00:01', '/api/gap/nodes', 'cc:1b:e0:e0:00:01', 'CC:1B:E0:E0:00:01'],
    ['/api/gap/nodes?mac=CC-1B-E0-E0-00-01&event=1', '/api/gap/nodes?mac=CC-1B-E0-E0-00-01&event=1', '/api/gap/nodes', 'CC-1B-E0-E0-00-01', 'CC:1B:E0:E0:00:01'],
    ['/api/gap/nodes?mac=CC%3A1B%3AE0%3AE0%3A00%3A01', '/api/gap/nodes?mac=CC%3A1B%3AE0%3AE0%3A00%3A01', '/api/gap/nodes', 'CC%3A1B%3AE0%3AE0%3A00%3A01', 'CC:1B:E0:E0:00:01'],
    ['/api/gap/nodes?xmac=CC:1B:E0:E0:00:01', '/api/gap/nodes?xmac=CC:1B:E0:E0:00:01', '/api/gap/nodes', null, 'none'],
    ['/api/gap/nodes?mac=garbage', '/api/gap/nodes?mac=garbage', '/api/gap/nodes', 'garbage', 'none'],
    ['/api/gap/nodes?mac=CC:1B:E0:E0:00:0G', '/api/gap/nodes?mac=CC:1B:E0:E0:00:0G', '/api/gap/nodes', 'CC:1B:E0:E0:00:0G', 'none'],
    ['/api/gap/nodes?mac=%E0%A4%A', '/api/gap/nodes?mac=%E0%A4%A', '/api/gap/nodes', '%E0%A4%A', 'none'],
    ['/api/cassia/hubs', '/api/cassia/hubs', '/api/cassia/hubs', null, 'none'],
    ['http://evil.example/api/cassia/hubs?mac=CC:1B:E0:E0:00:01', '/api/cassia/hubs?mac=CC:1B:E0:E0:00:01', '/api/cassia/hubs', 'CC:1B:E0:E0:00:01', 'CC:1B:E0:E0:00:01'],
    ['https://evil.example', '/', '/', null, 'none'],
    ['http://evil.example?mac=CC:1B:E0:E0:00:01', '/?mac=CC:1B:E0:E0:00:01', '/', 'CC:1B:E0:E0:00:01', 'CC:1B:E0:E0:00:01'],
  ])('%s', (url, path, pathname, mac, label) => {
    const target = parseTarget(url);
    expect(target).toMatchObject({ path, pathname, mac });
    // Before the AC vouches for a MAC its calls count under `other`; afterwards under the MAC.
    const fresh = gatewayStack(testConfig('http://127.0.0.1:1'));
    const d = fresh.directory();
    const handle = target?.mac == null ? d.resolve(null) : d.resolveRaw(target.mac);
    expect(handle.label).toBe(label === 'none' ? 'none' : 'other');
    expect(handle.pending).toBe(label === 'none' ? null : label);
    if (handle.pending !== null) expect(d.vouch(handle.pending).label).toBe(label);
    fresh.state.close();
  });

  it('resolves every spelling of one MAC to the same handle', () => {
    const d = stack.directory();
    const spellings = ['cc:1b:e0:e0:00:07', 'CC-1B-E0-E0-00-07', 'CC%3A1B%3AE0%3AE0%3A00%3A07', 'cc1be0e00007'];
    const handles = spellings.map((s) => d.resolveRaw(s));
    for (const h of handles) expect(h).toBe(d.resolve('CC:1B:E0:E0:00:07'));
  });

  it.each(['*', 'evil.example:443', 'ftp://x/y'])('refuses %s', (url) => {
    expect(parseTarget(url)).toBeNull();
  });
});
