// Payloads shaped like real Cassia AC answers, used by the upstreams of the benchmarks, and the
// request paths the request benchmarks send.

/** The hub list: the proxy also parses it (passive gateway discovery), so it costs more than most routes. */
export const HUBS_PATH = '/api/cassia/hubs';
/** A GATT read naming its gateway: forwarded, attributed and logged, body not parsed. */
export const GATT_PATH = '/api/gatt/nodes/C0:5A:22:10:4E:71/handle/14/value?mac=CC:1B:E0:E0:11:22';

/**
 * A connect the gateway refuses: the upstream answers it 500 `chip is busy`, Cassia's text for a
 * call made before the previous one finished, so the proxy reads what the AC said (an error answer).
 */
export const ERROR_PATH = '/api/gap/nodes/C0:5A:22:10:4E:71/connection?mac=CC:1B:E0:E0:11:22';
export const ERROR_BODY = 'chip is busy';

/** A `/api/cassia/hubs` answer of two gateways, padded to exactly 621 bytes. */
export function hubsBody() {
  const hub = (mac, ip, name) => ({
    mac, status: 'online', model: 'X1000', name, version: '2.1.1.2303082218',
    ip, ap: { mac, ip }, transport: 'capwap', uptime: 86400, rssi: -48,
  });
  const hubs = [hub('CC:1B:E0:E0:11:22', '10.0.0.21', 'warehouse-north'), hub('CC:1B:E0:E0:33:44', '10.0.0.22', 'warehouse-south')];
  let text = JSON.stringify(hubs);
  // Pad inside the JSON (a string field) so the body stays valid JSON at the target size.
  const pad = 621 - Buffer.byteLength(text) - ',"note":""'.length;
  if (pad > 0) text = `${text.slice(0, -2)},"note":"${'x'.repeat(pad)}"}]`;
  return text;
}

/** One Cassia notification event (`/gatt/nodes?event=1`) as an SSE frame, ~150 bytes of JSON. */
export function notificationFrame(seqNum, sentAtMs) {
  const json = JSON.stringify({
    id: 'C0:5A:22:10:4E:71', handle: 14, value: '0a1b2c3d4e5f60718293',
    dataType: 'notification', seqNum, gateway: 'CC:1B:E0:E0:11:22', sent: sentAtMs.toFixed(3),
  });
  return `data: ${json}\n\n`;
}
