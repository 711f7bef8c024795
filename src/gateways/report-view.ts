/** The gateways as the transport report reads them: identity, transport and last event per gateway. */
import type { GatewaySnapshotEntry } from '../report/build.js';
import type { GatewayState } from './state.js';

/** The report's view of `state`, taken when the report is asked (cheap: one entry per gateway). */
export function reportSnapshot(state: GatewayState): GatewaySnapshotEntry[] {
  return state.snapshot().map((g) => ({
    mac: g.mac,
    transport: g.transport,
    ...(g.name !== null ? { name: g.name } : {}),
    ...(g.model !== null ? { model: g.model } : {}),
    ...(g.version !== null ? { version: g.version } : {}),
    ...(g.online !== null ? { online: g.online } : {}),
    ...(g.lastEventAt !== null ? { lastEventAt: Date.parse(g.lastEventAt) } : {}),
  }));
}
