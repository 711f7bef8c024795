/** Which kind of event stream a request path opens (the `stream` metric label). */
import type { StreamKind } from '../vocabulary.js';

const FIXED: ReadonlyMap<string, StreamKind> = new Map<string, StreamKind>([
  ['/management/nodes/connection-state', 'connection_state'],
  ['/aps/events', 'combined'],
  ['/cassia/hubStatus', 'hub_status'],
  ['/gap/rssi', 'rssi'],
]);

/**
 * Maps a request path (AC form `/api/...`, or a gateway's local form without `/api`) to its
 * stream kind. `/gap/nodes` is a stream only with `event=1`: when `query` is given without it,
 * it is the connection list and the answer is null. `/gatt/nodes` is the notification stream
 * with or without `event=1`: Cassia's own samples (acNotify.js, scanConnectNotify.js,
 * acNotify.py) open it bare and the AC streams there. Any other path is `other` (the caller
 * only asks for responses that are `text/event-stream`).
 */
export function streamKindOf(pathname: string, query?: URLSearchParams): StreamKind | null {
  let p = pathname.startsWith('/api/') ? pathname.slice(4) : pathname;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const fixed = FIXED.get(p);
  if (fixed !== undefined) return fixed;
  if (p === '/gatt/nodes') return 'notification';
  if (p === '/gap/nodes') return query !== undefined && query.get('event') !== '1' ? null : 'scan';
  return 'other';
}
