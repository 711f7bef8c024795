import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { allRouteTemplates, routeTemplate } from '../../src/classify/routes.js';

/** One row per endpoint of docs/cassia-api-routes.md: method, a path as a client sends it, its template. */
const DOCUMENTED: Array<[string, string, string]> = [
  ['POST', '/api/oauth2/token', '/api/oauth2/token'],
  // Gateway management
  ['GET', '/api/cassia/info', '/api/cassia/info'],
  ['GET', '/api/cassia/hubs', '/api/cassia/hubs'],
  ['GET', '/api/cassia/hubs/CC:1B:E0:E2:8F:2C', '/api/cassia/hubs/{mac}'],
  ['GET', '/api/cassia/hubStatus', '/api/cassia/hubStatus'],
  ['POST', '/api/cassia/reboot', '/api/cassia/reboot'],
  ['POST', '/cassia/login', '/cassia/login'],
  ['GET', '/cassia/memory', '/cassia/memory'],
  ['DELETE', '/api/cassia/container', '/api/cassia/container'],
  ['POST', '/api/cassia/container/start', '/api/cassia/container/start'],
  ['POST', '/api/cassia/container/stop', '/api/cassia/container/stop'],
  ['POST', '/api/cassia/container/reset', '/api/cassia/container/reset'],
  ['POST', '/api/cassia/container/ac_install', '/api/cassia/container/ac_install'],
  ['POST', '/api/cassia/container/app/ac_install', '/api/cassia/container/app/ac_install'],
  // Scan, connections, PHY
  ['GET', '/api/gap/nodes', '/api/gap/nodes'],
  ['POST', '/api/gap/nodes/C0:00:5B:D1:AA:BC/connection', '/api/gap/nodes/{device}/connection'],
  ['DELETE', '/api/gap/nodes/c0:00:5b:d1:aa:bc/connection', '/api/gap/nodes/{device}/connection'],
  ['POST', '/api/gap/batch-connect', '/api/gap/batch-connect'],
  ['DELETE', '/gap/batch-connect', '/gap/batch-connect'],
  ['POST', '/api/gap/multi-connect', '/api/gap/multi-connect'],
  ['POST', '/api/gap/connection', '/api/gap/connection'],
  ['GET', '/api/gap/connection/interference', '/api/gap/connection/interference'],
  ['POST', '/api/gap/link-track', '/api/gap/link-track'],
  ['POST', '/api/gap/hs-mlink-params', '/api/gap/hs-mlink-params'],
  ['POST', '/api/gap/nodes/00:12:6F:5B:17:2F/phy', '/api/gap/nodes/{device}/phy'],
  ['GET', '/gap/nodes/00:12:6F:5B:17:2F/phy', '/gap/nodes/{device}/phy'],
  ['GET', '/api/gap/nodes/EF:F3:CF:F0:8B:81/rssi', '/api/gap/nodes/{device}/rssi'],
  ['GET', '/api/gap/rssi', '/api/gap/rssi'],
  ['GET', '/api/conns', '/api/conns'],
  ['GET', '/api/management/nodes/connection-state', '/api/management/nodes/connection-state'],
  // GATT
  ['GET', '/api/gatt/nodes', '/api/gatt/nodes'],
  ['GET', '/api/gatt/nodes/rate', '/api/gatt/nodes/rate'],
  ['GET', '/api/gatt/nodes/EB:2E:AF:D8:49:DC/services', '/api/gatt/nodes/{device}/services'],
  ['GET', '/api/gatt/nodes/EB:2E:AF:D8:49:DC/characteristics', '/api/gatt/nodes/{device}/characteristics'],
  ['GET', '/api/gatt/nodes/EB:2E:AF:D8:49:DC/services/0000fe59-0000-1000-8000-00805f9b34fb/characteristics', '/api/gatt/nodes/{device}/services/{uuid}/characteristics'],
  ['GET', '/api/gatt/nodes/EB:2E:AF:D8:49:DC/characteristics/8ec90001-f315-4f60-9fb8-838830daea50/descriptors', '/api/gatt/nodes/{device}/characteristics/{uuid}/descriptors'],
  ['GET', '/api/gatt/nodes/72:A2:28:A8:68:68/services/characteristics/descriptors', '/api/gatt/nodes/{device}/services/characteristics/descriptors'],
  ['GET', '/api/gatt/nodes/72:A2:28:A8:68:68/handle/53/value', '/api/gatt/nodes/{device}/handle/{handle}/value'],
  ['GET', '/api/gatt/nodes/EB:2E:AF:D8:49:DC/handle/15/value/01018c000000', '/api/gatt/nodes/{device}/handle/{handle}/value/{value}'],
  ['GET', '/gatt/nodes/D8:0B:CB:62:5C:2B/services/0000ff00-0f0e-0d0c-0b0a-050403020100/characteristics/0000ff01-0f0e-0d0c-0b0a-050403020100/value/0100',
    '/gatt/nodes/{device}/services/{uuid}/characteristics/{uuid}/value/{value}'],
  ['GET', '/api/gatt/nodes/D8:0B:CB:62:5C:2B/services/0000ff00-0f0e-0d0c-0b0a-050403020100/characteristics/0000ff01-0f0e-0d0c-0b0a-050403020100/value/0100',
    '/api/gatt/nodes/{device}/services/{uuid}/characteristics/{uuid}/value/{value}'],
  // Advertising
  ['GET', '/api/advertise/start', '/api/advertise/start'],
  ['GET', '/api/advertise/stop', '/api/advertise/stop'],
  ['POST', '/advertise/ext/start', '/advertise/ext/start'],
  ['GET', '/api/advertise/ext/stop', '/api/advertise/ext/stop'],
  // Secure pairing
  ['POST', '/api/management/nodes/49:92:4A:D5:7E:AB/pair', '/api/management/nodes/{device}/pair'],
  ['POST', '/api/management/nodes/49:92:4A:D5:7E:AB/pair-input', '/api/management/nodes/{device}/pair-input'],
  ['DELETE', '/api/management/nodes/6E:59:A7:F7:8F:D4/bond', '/api/management/nodes/{device}/bond'],
  // Positioning
  ['GET', '/api/middleware/position/by-device/C0:00:5B:D1:AA:BC', '/api/middleware/position/{*}'],
  ['GET', '/api/middleware/position/by-ap/*', '/api/middleware/position/{*}'],
  // AC-wide
  ['POST', '/api/aps/ap-select-switch', '/api/aps/ap-select-switch'],
  ['POST', '/api/aps/connections/connect', '/api/aps/connections/connect'],
  ['POST', '/api/aps/connections/disconnect', '/api/aps/connections/disconnect'],
  ['GET', '/api/aps/events', '/api/aps/events'],
  ['POST', '/api/aps/scan/open', '/api/aps/scan/open'],
  ['POST', '/api/aps/scan/close', '/api/aps/scan/close'],
  ['POST', '/api/aps/notify/open', '/api/aps/notify/open'],
  ['POST', '/api/aps/notify/close', '/api/aps/notify/close'],
  ['POST', '/api/aps/connection-state/open', '/api/aps/connection-state/open'],
  ['POST', '/api/aps/connection-state/close', '/api/aps/connection-state/close'],
  ['GET', '/api/aps/ap-state/open', '/api/aps/ap-state/open'],
  ['GET', '/api/aps/ap-state/close', '/api/aps/ap-state/close'],
  // AC administration
  ['GET', '/api/ac/ap', '/api/ac/ap'],
  ['POST', '/api/ac/ap/CC:1B:E0:E2:8F:2C/upgrade', '/api/ac/ap/{mac}/upgrade'],
  ['GET', '/api/ac/ap-discover', '/api/ac/ap-discover'],
  ['GET', '/api/ac/firmware', '/api/ac/firmware'],
];

/** Concrete paths of shapes no Cassia document describes: they must stay `other`. */
const UNKNOWN: string[] = [
  '/api/gap/batch-connect/C0:00:5B:D1:B7:25',
  '/api/gap/nodes/00:12:6F:5B:17:2F/phy/2M',
  '/api/gap/connection/C0:00:5B:D1:B7:25',
  '/api/gatt/nodes/rate/C0:00:5B:D1:B7:25',
  '/api/gatt/nodes/D8:0B:CB:62:5C:2B/services/0000ff00-0f0e-0d0c-0b0a-050403020100/characteristics/0000ff01-0f0e-0d0c-0b0a-050403020100/value',
  '/api/management/nodes/49:92:4A:D5:7E:AB',
  '/api/management/nodes/49:92:4A:D5:7E:AB/pair/0100',
  '/api/management/nodes/49:92:4A:D5:7E:AB/pair/',
  '/api/advertise',
  '/api/advertise/ext',
  '/api/aps/ap-state',
  '/api/ac/ap/CC:1B:E0:E2:8F:2C',
  '/api/cassia/container/C0:00:5B:D1:B7:25',
  '/api/conns/C0:00:5B:D1:B7:25',
  '/api/gap/nodes/72:A2:28:A8:68:68/connection/0100',
];

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

describe('documented Cassia endpoints (docs/cassia-api-routes.md)', () => {
  it.each(DOCUMENTED)('%s %s → %s', (_method, path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  it.each(UNKNOWN)('%s → other', (path) => {
    expect(routeTemplate(path)).toBe('other');
  });

  it('the document and the route table list the same templates, and the table above covers each', () => {
    const doc = readFileSync(new URL('../../docs/cassia-api-routes.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| [A-Z, ]+ \| `(\/api\/[^`]+)` \|/gm)].map((m) => m[1]));
    const table = new Set(allRouteTemplates().filter((t) => t.startsWith('/api/')));
    expect([...documented].sort()).toEqual([...table].sort());
    const covered = new Set(DOCUMENTED.map(([, , t]) => (t.startsWith('/api/') ? t : `/api${t}`)));
    expect([...table].filter((t) => !covered.has(t))).toEqual([]);
  });
});
