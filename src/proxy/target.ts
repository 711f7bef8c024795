/**
 * The request target as the proxy uses it: the path+query forwarded upstream (origin-form
 * only), the pathname for route templating, and the gateway named by `mac` (as sent; the
 * gateway directory normalises it).
 */

export interface Target {
  /** Path and query to send upstream, byte for byte as received (origin-form). */
  path: string;
  pathname: string;
  /** The raw value of the first `mac=` parameter, or null when there is none. */
  mac: string | null;
}

/**
 * Parses `req.url`. Absolute-form (`http://other-host/x`) keeps only its path, so the proxy
 * never talks to any host but the upstream; anything else that is not origin-form (`*`,
 * authority-form) is refused with null.
 */
export function parseTarget(url: string): Target | null {
  let path = url;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = /^https?:\/\//i.exec(url);
    if (!scheme) return null;
    const slash = url.indexOf('/', scheme[0].length);
    const question = url.indexOf('?', scheme[0].length);
    if (slash === -1 && question === -1) path = '/';
    else if (slash === -1 || (question !== -1 && question < slash)) path = `/${url.slice(question)}`;
    else path = url.slice(slash);
  }
  const q = path.indexOf('?');
  if (q === -1) return { path, pathname: path, mac: null };
  return { path, pathname: path.slice(0, q), mac: macOf(path, q + 1) };
}

/** The first `mac` query parameter as sent (the query starts at `start` of `path`); null when absent. */
function macOf(path: string, start: number): string | null {
  while (start < path.length) {
    let end = path.indexOf('&', start);
    if (end === -1) end = path.length;
    if (path.startsWith('mac=', start)) return path.slice(start + 4, end);
    start = end + 1;
  }
  return null;
}
