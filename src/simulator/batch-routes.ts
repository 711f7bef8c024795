/**
 * `POST|DELETE /gap/batch-connect?mac=` (wiki "RESTful API", "Batch Connect to a Target Device
 * (v2.0 and above)"; Cassia's acBatch.js, acBatch.py). POST takes JSON
 * `{"list":[{"type":"public","addr":"C0:00:5B:D1:B7:25"}],"timeout":5000,"per_dev_timeout":10000}`,
 * every field optional, numbers also as strings (the wiki's own curl sends `"timeout":"5000"`),
 * and answers `OK` at once: the devices connect later, one by one, and show on the
 * connection-state stream. DELETE empties the queue (no parameters) and answers `OK`.
 */
import type { BatchEntry } from './batch.js';
import { readBody, send, type Exchange } from './http-util.js';
import { normalizeMac } from './mac.js';
import type { SimWorld } from './world.js';

/** Wiki: "Range is 20 ms - 20000 ms. Default value: 5000 (ms)." */
const TIMEOUT_MIN = 20;
const TIMEOUT_MAX = 20_000;
const TIMEOUT_DEFAULT = 5000;

const INVALID = 'parameter invalid';

/** A number given as a JSON number or a numeric string; undefined when absent, NaN when malformed. */
function numberField(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

/** The queue entries a POST body asks for, or null when the body is not what the wiki describes. */
export function parseBatchBody(text: string): BatchEntry[] | null {
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return null;
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const fields = body as Record<string, unknown>;
  const timeout = numberField(fields.timeout) ?? TIMEOUT_DEFAULT;
  if (!Number.isFinite(timeout) || timeout < TIMEOUT_MIN || timeout > TIMEOUT_MAX) return null;
  // Wiki: default twice `timeout`; it "should be greater than or equal to `timeout`".
  const perDevTimeout = numberField(fields.per_dev_timeout) ?? timeout * 2;
  if (!Number.isFinite(perDevTimeout) || perDevTimeout < timeout) return null;
  const list = fields.list ?? [];
  if (!Array.isArray(list)) return null;
  const entries: BatchEntry[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) return null;
    const { addr, type } = item as Record<string, unknown>;
    const mac = typeof addr === 'string' ? normalizeMac(addr.trim()) : null;
    if (!mac || (type !== undefined && type !== 'public' && type !== 'random')) return null;
    entries.push({ mac, timeout, perDevTimeout });
  }
  return entries;
}

/** Answers one `/gap/batch-connect` call of the gateway named in `mac`. */
export async function batchConnect(world: SimWorld, ex: Exchange): Promise<void> {
  const g = ex.g;
  if (!g) return;
  const method = ex.req.method ?? 'GET';
  if (method === 'DELETE') {
    world.batch.clear(g);
    return send(ex, 200, 'OK');
  }
  if (method !== 'POST') return send(ex, 404, 'Not Found');
  const entries = parseBatchBody(await readBody(ex.req));
  if (!entries) return send(ex, 500, INVALID);
  if (!world.batch.enqueue(g, entries)) return send(ex, 500, 'no resources');
  send(ex, 200, 'OK');
}
