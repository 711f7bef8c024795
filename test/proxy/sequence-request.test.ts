import { describe, expect, it } from 'vitest';
import { routeTemplate } from '../../src/classify/routes.js';
import { sequenceRequestPath } from '../../src/proxy/sequence-request.js';

const pathFor = (method: string, path: string): string | null =>
  sequenceRequestPath(method, routeTemplate(path.split('?')[0] ?? path), path);

describe('sequenceRequestPath', () => {
  it.each<[string, string, string | null]>([
    ['the bare notification stream of the samples', '/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&access_token=t', '/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&access_token=t&sequence=2'],
    ['with event=1', '/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01', '/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01&sequence=2'],
    ['the combined stream', '/api/aps/events', '/api/aps/events?sequence=2'],
    ['a gateway\'s local form', '/gatt/nodes?event=1', '/gatt/nodes?event=1&sequence=2'],
    ['an empty query', '/api/aps/events?', '/api/aps/events?sequence=2'],
    ['a trailing &', '/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&', '/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&sequence=2'],
    ['sequence=2 already', '/api/gatt/nodes?sequence=2&mac=CC:1B:E0:E0:00:01', null],
    ['another sequence value', '/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&sequence=1', null],
    ['an empty sequence', '/api/gatt/nodes?sequence', null],
    ['a percent-encoded name', '/api/gatt/nodes?%73equence=2', null],
    ['a parameter that only starts like it', '/api/gatt/nodes?sequences=1', '/api/gatt/nodes?sequences=1&sequence=2'],
    ['the scan stream', '/api/gap/nodes?event=1', null],
    ['the connection-state stream', '/api/management/nodes/connection-state', null],
    ['a read under /gatt/nodes', '/api/gatt/nodes/E4:7F:00:00:00:01/handle/36/value', null],
    ['a trailing slash (not a Cassia route)', '/api/gatt/nodes/', null],
  ])('%s', (_name, path, expected) => {
    expect(pathFor('GET', path)).toBe(expected);
  });

  it.each(['POST', 'HEAD', 'DELETE'])('leaves %s alone', (method) => {
    expect(pathFor(method, '/api/gatt/nodes')).toBeNull();
  });
});
