/**
 * Learns gateway identity from hub-list answers that pass through (`/api/cassia/hubs`,
 * `/api/cassia/hubs/{mac}`): keeps a bounded copy of the body and hands it to the gateway
 * state when the response ends. A body larger than the bound is not analysed (still forwarded).
 *
 * At most one hub list is analysed per `minIntervalMs`: applications poll the hub list, a
 * gateway's identity changes rarely, and parsing every answer cost ~20 µs per request at load.
 * An online/offline change is therefore seen up to `minIntervalMs` late.
 */
import { isHubListRoute } from '../classify/routes.js';
import type { BodyTapFactory } from '../tap.js';
import type { GatewayState } from './state.js';

/** 4 MiB: an AC with thousands of gateways answers a few hundred KiB. */
export const MAX_HUB_LIST_BYTES = 4 * 1024 * 1024;

export function createHubListTaps(state: GatewayState, minIntervalMs = 1000, now: () => number = Date.now): BodyTapFactory {
  let lastAnalysed = -Infinity;
  return (route, status) => {
    if (status !== 200 || !isHubListRoute(route)) return null;
    const t = now();
    if (t - lastAnalysed < minIntervalMs) return null;
    lastAnalysed = t;
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
  };
}
