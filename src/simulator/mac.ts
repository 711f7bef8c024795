/**
 * MAC helpers. Copied on purpose from the proxy's `gateways/mac.ts`: the simulator is a separate
 * program and imports nothing from the proxy.
 */

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/;

/** `cc:1b:e0:e0:00:01`, `CC-1B-E0-E0-00-01` or `CC1BE0E00001` to `CC:1B:E0:E0:00:01`; null if not a MAC. */
export function normalizeMac(value: string): string | null {
  if (value.length < 12 || value.length > 17 || !MAC_RE.test(value)) return null;
  const hex = value.replace(/[:-]/g, '').toUpperCase();
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/** Six bytes as `AA:BB:CC:DD:EE:FF`. */
export function macFromBytes(bytes: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(((bytes[i] ?? 0) & 0xff).toString(16).padStart(2, '0'));
  return parts.join(':').toUpperCase();
}

/** `CC:1B:E0:E0:00:01` for gateway index 0. */
export function gatewayMac(index: number): string {
  const n = index + 1;
  return macFromBytes([0xcc, 0x1b, 0xe0, 0xe0, (n >> 8) & 0xff, n & 0xff]);
}
