/**
 * Learns gateway identity from hub-list answers that pass through (`/api/cassia/hubs`,
 * `/api/cassia/hubs/{mac}`): keeps a bounded copy of the body and hands it to the gateway
 * state when the response ends. A body larger than the bound is not analysed (still forwarded).
 */
import type { StreamTap } from '../streams/types.js';
import type { GatewayState } from './state.js';

const HUB_ROUTES = new Set(['/api/cassia/hubs', '/api/cassia/hubs/{mac}', '/cassia/hubs', '/cassia/hubs/{mac}']);

/** 4 MiB: an AC with thousands of gateways answers a few hundred KiB. */
export const MAX_HUB_LIST_BYTES = 4 * 1024 * 1024;

export function hubListTap(state: GatewayState, route: string, status: number): StreamTap | null {
  if (status !== 200 || !HUB_ROUTES.has(route)) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size <= MAX_HUB_LIST_BYTES) chunks.push(chunk);
    },
    close() {
      // A truncated body fails to parse inside observeHubList, which never throws.
      if (size <= MAX_HUB_LIST_BYTES) state.observeHubList(Buffer.concat(chunks, size));
    },
  };
}
