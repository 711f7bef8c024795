/** Deep freezing for the resolved Config. */

/**
 * Freezes an object graph in place and returns it. `URL` objects are frozen too, but a URL
 * keeps its state in internal slots, so its setters (`url.pathname = …`) still work: treat
 * `config.upstream` as read-only by convention, or copy it (`new URL(config.upstream)`).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
