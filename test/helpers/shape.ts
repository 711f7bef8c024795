/** Compares the shape of two JSON documents: the same keys at every level, the same value types. */

const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/**
 * Differences between the shapes of `a` and `b` (empty when they match): object key sets must be
 * equal at every depth and leaves must have the same type. `null` matches any type (the
 * documents' nullable fields), and every array element is compared with the first element found
 * on either side, so arrays of one shape of any length match.
 */
export function shapeDiff(a: unknown, b: unknown, path = '$'): string[] {
  if (a === null || b === null) return [];
  if (kind(a) !== kind(b)) return [`${path}: ${kind(a)} vs ${kind(b)}`];
  if (Array.isArray(a) && Array.isArray(b)) {
    const ref: unknown = a.find((x) => x !== null) ?? b.find((x) => x !== null);
    if (ref === undefined) return [];
    return [...a.map((x, i) => [x, `${path}[${i}]`] as const), ...b.map((x, i) => [x, `${path}[${i}]'`] as const)]
      .flatMap(([x, p]) => shapeDiff(ref, x, p));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const ka = Object.keys(ra).sort();
    const kb = Object.keys(rb).sort();
    const out: string[] = [];
    for (const k of ka) if (!(k in rb)) out.push(`${path}.${k}: only in the first`);
    for (const k of kb) if (!(k in ra)) out.push(`${path}.${k}: only in the second`);
    for (const k of ka) if (k in rb) out.push(...shapeDiff(ra[k], rb[k], `${path}.${k}`));
    return out;
  }
  return [];
}
