import { describe, expect, it } from 'vitest';
import { allRouteTemplates, routeTemplate } from '../../src/classify/routes.js';
import { classifyFailure, type Phase } from '../../src/classify/outcome.js';

describe('routeTemplate', () => {
  it.each([
    ['/api/oauth2/token', '/api/oauth2/token'],
    ['/api/gap/nodes', '/api/gap/nodes'],
    ['/api/gap/nodes/C0:00:5B:D1:AA:BC/connection', '/api/gap/nodes/{device}/connection'],
    ['/api/gap/nodes/C0:00:5B:D1:AA:BC/rssi', '/api/gap/nodes/{device}/rssi'],
    ['/api/gap/rssi', '/api/gap/rssi'],
    ['/api/management/nodes/connection-state', '/api/management/nodes/connection-state'],
    ['/api/gatt/nodes', '/api/gatt/nodes'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/services', '/api/gatt/nodes/{device}/services'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/characteristics', '/api/gatt/nodes/{device}/characteristics'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/services/0000180f-0000-1000-8000-00805f9b34fb/characteristics', '/api/gatt/nodes/{device}/services/{uuid}/characteristics'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/characteristics/00002a19-0000-1000-8000-00805f9b34fb/descriptors', '/api/gatt/nodes/{device}/characteristics/{uuid}/descriptors'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/services/characteristics/descriptors', '/api/gatt/nodes/{device}/services/characteristics/descriptors'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value', '/api/gatt/nodes/{device}/handle/{handle}/value'],
    ['/api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value/0100', '/api/gatt/nodes/{device}/handle/{handle}/value/{value}'],
    ['/api/cassia/info', '/api/cassia/info'],
    ['/api/cassia/reboot', '/api/cassia/reboot'],
    ['/api/cassia/hubs', '/api/cassia/hubs'],
    ['/api/cassia/hubs/CC:1B:E0:E0:00:01', '/api/cassia/hubs/{mac}'],
    ['/api/cassia/hubStatus', '/api/cassia/hubStatus'],
    ['/api/aps/events', '/api/aps/events'],
    ['/api/aps/scan/open', '/api/aps/scan/open'],
    ['/api/aps/notify/close', '/api/aps/notify/close'],
    ['/api/aps/connection-state/open', '/api/aps/connection-state/open'],
    ['/api/aps/connections/connect', '/api/aps/connections/connect'],
    ['/api/middleware/position/by-ap/CC:1B:E0:E0:00:01', '/api/middleware/position/{*}'],
    // The gateway's local API form (no /api prefix).
    ['/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value', '/gatt/nodes/{device}/handle/{handle}/value'],
    ['/gap/nodes', '/gap/nodes'],
    // Never a raw path.
    ['/', 'other'],
    ['/api', 'other'],
    ['/api/', 'other'],
    ['/api/gap/nodes/', 'other'],
    ['/api/gap/nodes/C0:00:5B:D1:AA:BC', 'other'],
    
    ['/api/unknown/C0:00:5B:D1:AA:BC', 'other'],
    ['/favicon.ico', 'other'],
  ])('%s → %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  it('every template is finite and contains no MAC-like raw segment', () => {
    for (const t of allRouteTemplates()) expect(t).not.toMatch(/[0-9A-F]{2}:[0-9A-F]{2}/);
  });
});

describe('classifyFailure (undici error codes × phase)', () => {
  it.each<[string | undefined, string | undefined, string, Phase, number, string, string]>([
    ['ECONNREFUSED', undefined, 'connect ECONNREFUSED', 'connect', 502, 'proxy', 'connect_error'],
    ['ENOTFOUND', undefined, 'getaddrinfo ENOTFOUND ac', 'connect', 502, 'proxy', 'connect_error'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', undefined, 'self signed certificate', 'connect', 502, 'proxy', 'connect_error'],
    ['UND_ERR_CONNECT_TIMEOUT', undefined, 'Connect Timeout Error', 'connect', 504, 'proxy', 'connect_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', undefined, 'Headers Timeout Error', 'headers', 504, 'proxy', 'headers_timeout'],
    ['UND_ERR_SOCKET', undefined, 'other side closed', 'headers', 502, 'proxy', 'upstream_reset'],
    ['ECONNRESET', undefined, 'read ECONNRESET', 'headers', 502, 'proxy', 'upstream_reset'],
    ['UND_ERR_SOCKET', undefined, 'bad response', 'headers', 502, 'proxy', 'bad_response'],
    ['HPE_INVALID_CONSTANT', 'HTTPParserError', 'Expected HTTP/', 'headers', 502, 'proxy', 'bad_response'],
    [undefined, 'HTTPParserError', 'Response does not match the HTTP/1.1 protocol', 'headers', 502, 'proxy', 'bad_response'],
    ['ERR_INVALID_CHAR', 'TypeError', 'Invalid character in header content', 'headers', 502, 'proxy', 'bad_response'],
    ['UND_ERR_BODY_TIMEOUT', undefined, 'Body Timeout Error', 'body', 200, 'proxy', 'stream_idle_timeout'],
    ['UND_ERR_SOCKET', undefined, 'other side closed', 'body', 200, 'upstream', 'body_reset'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', undefined, 'mismatch', 'body', 200, 'upstream', 'body_reset'],
  ])('%s (%s) in %s phase', (code, name, message, phase, status, origin, reason) => {
    expect(classifyFailure({ code, name, message }, phase, 200)).toEqual({ status, origin, reason });
  });
});
