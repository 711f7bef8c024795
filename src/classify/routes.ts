/**
 * Route templates for the `route` label: every endpoint of the Cassia AC API (see
 * shared/cassia-ac-api.md), matched segment by segment. Anything else is `other`, so a raw
 * path (device MACs, hex values) can never reach a label. Paths without the `/api` prefix (the
 * gateway's local API form) map to the same templates without the prefix.
 */

/** Label value for paths outside the Cassia route table. */
export const OTHER_ROUTE = 'other';

/** A template segment: a literal, or a `{placeholder}` matching any one segment. */
const ROUTE_TEMPLATES = [
  '/oauth2/token',
  '/gap/nodes',
  '/gap/nodes/{device}/connection',
  '/gap/nodes/{device}/rssi',
  '/gap/rssi',
  '/management/nodes/connection-state',
  '/gatt/nodes',
  '/gatt/nodes/{device}/services',
  '/gatt/nodes/{device}/characteristics',
  '/gatt/nodes/{device}/services/{uuid}/characteristics',
  '/gatt/nodes/{device}/characteristics/{uuid}/descriptors',
  '/gatt/nodes/{device}/services/characteristics/descriptors',
  '/gatt/nodes/{device}/handle/{handle}/value',
  '/gatt/nodes/{device}/handle/{handle}/value/{value}',
  '/cassia/info',
  '/cassia/reboot',
  '/cassia/hubs',
  '/cassia/hubs/{mac}',
  '/cassia/hubStatus',
  '/aps/events',
  '/aps/scan/open',
  '/aps/scan/close',
  '/aps/notify/open',
  '/aps/notify/close',
  '/aps/connection-state/open',
  '/aps/connection-state/close',
  '/aps/connections/connect',
  '/aps/connections/disconnect',
  '/middleware/position/{*}',
] as const;

interface Node {
  literal: Map<string, Node>;
  param: Node | null;
  /** `{*}`: the rest of the path, any depth. */
  rest: string | null;
  template: string | null;
}

const newNode = (): Node => ({ literal: new Map(), param: null, rest: null, template: null });

function buildTrie(prefix: string): Node {
  const root = newNode();
  for (const template of ROUTE_TEMPLATES) {
    let node = root;
    for (const segment of template.slice(1).split('/')) {
      if (segment === '{*}') {
        node.rest = prefix + template;
        break;
      }
      if (segment.startsWith('{')) {
        node.param ??= newNode();
        node = node.param;
      } else {
        let next = node.literal.get(segment);
        if (!next) {
          next = newNode();
          node.literal.set(segment, next);
        }
        node = next;
      }
    }
    if (!template.endsWith('{*}')) node.template = prefix + template;
  }
  return root;
}

const AC_ROUTES = buildTrie('/api');
const LOCAL_ROUTES = buildTrie('');

/**
 * The route template of a request path (no query string), e.g.
 * `/api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value` → `/api/gatt/nodes/{device}/handle/{handle}/value`.
 */
export function routeTemplate(pathname: string): string {
  let root = LOCAL_ROUTES;
  let start = 1;
  if (pathname.startsWith('/api/')) {
    root = AC_ROUTES;
    start = 5;
  }
  let node: Node = root;
  let restTemplate: string | null = null;
  while (start <= pathname.length) {
    let end = pathname.indexOf('/', start);
    if (end === -1) end = pathname.length;
    const segment = pathname.slice(start, end);
    if (node.rest) restTemplate = node.rest;
    // A trailing slash or an empty segment never matches a Cassia route.
    if (segment.length === 0) return restTemplate ?? OTHER_ROUTE;
    const next: Node | null | undefined = node.literal.get(segment) ?? node.param;
    if (!next) return restTemplate ?? OTHER_ROUTE;
    node = next;
    start = end + 1;
  }
  return node.template ?? restTemplate ?? OTHER_ROUTE;
}

/** Every template the route label can take (for dashboards and tests). */
export function allRouteTemplates(): string[] {
  return [...ROUTE_TEMPLATES.map((t) => `/api${t}`), ...ROUTE_TEMPLATES, OTHER_ROUTE];
}
