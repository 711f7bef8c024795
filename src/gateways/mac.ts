/** Gateway and device MAC handling: one normal form everywhere (upper-case, colon-separated). */

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/;

/** `cc:1b:e0:e0:00:01`, `CC-1B-E0-E0-00-01` or `CC1BE0E00001` to `CC:1B:E0:E0:00:01`; null if not a MAC. */
export function normalizeMac(value: string): string | null {
  if (value.length < 12 || value.length > 17 || !MAC_RE.test(value)) return null;
  const hex = value.replace(/[:-]/g, '').toUpperCase();
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}
