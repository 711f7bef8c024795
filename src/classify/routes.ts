/**
 * Route templates for the `route` label: every endpoint of the Cassia AC API that Cassia documents
 * or uses in its published samples (the list, with its sources, is docs/cassia-api-routes.md),
 * matched segment by segment. Anything else is `other`, so a raw path (device MACs, hex values)
 * can never reach a label. Paths without the `/api` prefix (the gateway's local API form) map to
 * the same templates without the prefix. Templates are label values dashboards use: add, never
 * rename.
 */

/** Label value for paths outside the Cassia route table. */
export const OTHER_ROUTE = 'other';

/** The hub list and one hub: answers that name gateways, their model, version and status. */
const HUB_LIST_TEMPLATES = ['/cassia/hubs', '/cassia/hubs/{mac}'];

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
  ...HUB_LIST_TEMPLATES,
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
  // Gateway calls (`?mac=` through the AC): wiki "RESTful API", "BLE 5 Interface Specification
  // For X2000", and the samples' calls (docs/cassia-api-routes.md names the file of each).
  '/cassia/login',
  '/cassia/memory',
  '/cassia/container',
  '/cassia/container/start',
  '/cassia/container/stop',
  '/cassia/container/reset',
  '/cassia/container/ac_install',
  '/cassia/container/app/ac_install',
  '/gap/batch-connect',
  '/gap/multi-connect',
  '/gap/connection',
  '/gap/connection/interference',
  '/gap/link-track',
  '/gap/hs-mlink-params',
  '/gap/nodes/{device}/phy',
  '/gatt/nodes/rate',
  '/gatt/nodes/{device}/services/{uuid}/characteristics/{uuid}/value/{value}',
  '/management/nodes/{device}/pair',
  '/management/nodes/{device}/pair-input',
  '/management/nodes/{device}/bond',
  '/advertise/start',
  '/advertise/stop',
  '/advertise/ext/start',
  '/advertise/ext/stop',
  '/conns',
  // AC-wide calls: router auto-selection, the combined stream's ap-state switch, and the AC's
  // own gateway administration (CassiaNetworks/SDK AC.js).
  '/aps/ap-select-switch',
  '/aps/ap-state/open',
  '/aps/ap-state/close',
  '/ac/ap',
  '/ac/ap/{mac}/upgrade',
  '/ac/ap-discover',
  '/ac/firmware',
] as const;

interface Node {
  /** Literal segments and, at the same index, the node each leads to (a handful per node: a scan needs no substring). */
  literals: string[];
  next: Node[];
  param: Node | null;
  /** `{*}`: the rest of the path, any depth. */
  rest: string | null;
  template: string | null;
}

const newNode = (): Node => ({ literals: [], next: [], param: null, rest: null, template: null });

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
        const at = node.literals.indexOf(segment);
        let next = node.next[at];
        if (at === -1 || next === undefined) {
          next = newNode();
          node.literals.push(segment);
          node.next.push(next);
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

/** The child of `node` for the segment `path[start, end)`: a literal that matches it, else the parameter. */
function child(node: Node, path: string, start: number, end: number): Node | null {
  const length = end - start;
  const { literals } = node;
  for (let i = 0; i < literals.length; i++) {
    const literal = literals[i] as string;
    if (literal.length === length && path.startsWith(literal, start)) return node.next[i] as Node;
  }
  return node.param;
}

/**
 * The route template of a request path (no query string), e.g.
 * `/api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value` → `/api/gatt/nodes/{device}/handle/{handle}/value`.
 * Walks the path in place: no substring per segment.
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
    if (node.rest) restTemplate = node.rest;
    // A trailing slash or an empty segment never matches a Cassia route.
    if (end === start) return restTemplate ?? OTHER_ROUTE;
    const next = child(node, pathname, start, end);
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

const HUB_LIST_ROUTES: ReadonlySet<string> = new Set([...HUB_LIST_TEMPLATES.map((t) => `/api${t}`), ...HUB_LIST_TEMPLATES]);

/** Whether a route template (as routeTemplate returns it) is the hub list or one hub. */
export function isHubListRoute(template: string): boolean {
  return HUB_LIST_ROUTES.has(template);
}
