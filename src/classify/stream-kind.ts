/** Which kind of event stream a route template carries (the `stream` label). */
import type { StreamKind } from '../config/types.js';

const KINDS: Record<string, StreamKind> = {
  '/gap/nodes': 'scan',
  '/gatt/nodes': 'notification',
  '/management/nodes/connection-state': 'connection_state',
  '/aps/events': 'combined',
  '/cassia/hubStatus': 'hub_status',
  '/gap/rssi': 'rssi',
};

/** Stream kind of an SSE response on `route` (a template from `routeTemplate`). */
export function streamKindOf(route: string): StreamKind {
  return KINDS[route.startsWith('/api/') ? route.slice(4) : route] ?? 'other';
}
