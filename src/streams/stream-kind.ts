/** Which kind of event stream a request path opens (the `stream` metric label). */
import type { StreamKind } from '../config/types.js';

const FIXED: ReadonlyMap<string, StreamKind> = new Map<string, StreamKind>([
  ['/management/nodes/connection-state', 'connection_state'],
  ['/aps/events', 'combined'],
  ['/cassia/hubStatus', 'hub_status'],
  ['/gap/rssi', 'rssi'],
]);

/**
 * Maps a request path (AC form `/api/...`, or a gateway's local form without `/api`) to its
 * stream kind. `/gap/nodes` and `/gatt/nodes` are streams only with `event=1`: when `query` is
 * given without it, they are plain listings and the answer is null. Any other path is `other`
 * (the caller only asks for responses that are `text/event-stream`).
 */
export function streamKindOf(pathname: string, query?: URLSearchParams): StreamKind | null {
  let p = pathname.startsWith('/api/') ? pathname.slice(4) : pathname;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const fixed = FIXED.get(p);
  if (fixed !== undefined) return fixed;
  if (p === '/gap/nodes' || p === '/gatt/nodes') {
    if (query !== undefined && query.get('event') !== '1') return null;
    return p === '/gap/nodes' ? 'scan' : 'notification';
  }
  return 'other';
}
