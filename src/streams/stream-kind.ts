/** Which kind of event stream a request path opened (the `stream` metric label). */
import type { StreamKind } from '../vocabulary.js';

const FIXED: ReadonlyMap<string, StreamKind> = new Map<string, StreamKind>([
  ['/management/nodes/connection-state', 'connection_state'],
  ['/aps/events', 'combined'],
  ['/cassia/hubStatus', 'hub_status'],
  ['/gap/rssi', 'rssi'],
  ['/gatt/nodes', 'notification'],
  ['/gap/nodes', 'scan'],
]);

/**
 * Maps the path of a response that is `text/event-stream` (AC form `/api/...`, or a gateway's
 * local form without `/api`) to its stream kind. The response decides that it is a stream, so
 * the query does not matter: `/gap/nodes` streams scan results only with `event=1`, and
 * `/gatt/nodes` is the notification stream with or without it (Cassia's own samples acNotify.js,
 * scanConnectNotify.js, acNotify.py open it bare and the AC streams there). Any other path is
 * `other`.
 */
export function streamKindOf(pathname: string): StreamKind {
  let p = pathname.startsWith('/api/') ? pathname.slice(4) : pathname;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return FIXED.get(p) ?? 'other';
}
