import { describe, expect, it } from 'vitest';
import { streamKindOf } from '../../src/streams/stream-kind.js';
import { STREAM_KINDS } from '../../src/vocabulary.js';

describe('streamKindOf (of a response that is text/event-stream)', () => {
  it.each([
    ['/api/gap/nodes', 'scan'],
    ['/gap/nodes', 'scan'],
    ['/api/gap/nodes/', 'scan'],
    // Cassia's acNotify.js / scanConnectNotify.js / acNotify.py open the stream without event=1.
    ['/api/gatt/nodes', 'notification'],
    ['/gatt/nodes', 'notification'],
    ['/api/management/nodes/connection-state', 'connection_state'],
    ['/api/aps/events', 'combined'],
    ['/api/cassia/hubStatus', 'hub_status'],
    ['/cassia/hubStatus', 'hub_status'],
    ['/api/gap/rssi', 'rssi'],
    ['/api/gap/nodes/CC:1B:E0:E0:28:EC/rssi', 'other'],
    ['/api/something/else', 'other'],
    ['/api', 'other'],
    ['/', 'other'],
  ])('%s → %s', (path, kind) => {
    expect(streamKindOf(path)).toBe(kind);
  });

  it('only ever answers a stream label value', () => {
    for (const path of ['/api/gap/nodes', '/x', '', '/api/', '/api/aps/events/']) expect(STREAM_KINDS).toContain(streamKindOf(path));
  });
});
