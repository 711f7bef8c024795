// A fake fleet of sidecar proxies for the fleet-report benchmark: N sidecars, each exporting the
// product's per-gateway metric families (names and labels of src/metrics/metrics.ts) for its share
// of M gateways, with deterministic counters and a known truth.
//
// Counters move only on ticks. On each tick every running sidecar adds, for every series, the
// series' own rate (a small integer from a hash of sidecar, gateway and labels). A sidecar runs
// processes: a restart ends one and starts the next from 0 (with a new process_start_time_seconds),
// as a real restart does; no tick is lost across it, so the truth of a period is simply
// rate × ticks counted in it. A gateway may move from CAPWAP to MQTT at a tick: from then on its
// series count under the new transport label and the old ones stay as they were.
//
// Used live (exposition() served on each sidecar's port, tick() on a timer) and for history
// (historyLines() as OpenMetrics with timestamps for `promtool tsdb create-blocks-from openmetrics`).

const STREAMS_TWO = ['notification', 'scan'];
const STREAMS_ONE = ['scan'];
const ROUTE = '/api/gatt/nodes/{device}/handle/{handle}/value';
/** Request duration buckets of the product (REQUEST_DURATION_BUCKETS) as label text. */
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '20', '30', '+Inf'];
/** Where each status's calls fall in the histogram: 502 and 404 fast, 200 at 50 ms, 504 at the 20 s timeout. */
const LE_OF = { 502: 1, 200: 3, 504: 11 };

/** A 32-bit hash of a few integers (deterministic rates). */
function hash(...xs) {
  let h = 2166136261;
  for (const x of xs) {
    h ^= x + 0x9e3779b9;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** The gateway MAC of index `g` (upper case, as the proxy normalises them). */
export function gatewayMac(g) {
  const hex = (n) => n.toString(16).toUpperCase().padStart(2, '0');
  return `CC:1B:E0:${hex((g >> 16) & 255)}:${hex((g >> 8) & 255)}:${hex(g & 255)}`;
}

/** Overlap of the inclusive integer ranges [a, b] and [c, d]. */
const overlap = (a, b, c, d) => Math.max(0, Math.min(b, d) - Math.max(a, c) + 1);

/**
 * @param {object} o
 * @param {number} o.sidecars
 * @param {number} o.gateways
 * @param {number} [o.perGateway] sidecars that see each gateway (default 4)
 * @param {Map<number, number>} [o.moves] gateway index → tick index from which it counts under MQTT
 */
export function createFakeFleet({ sidecars, gateways, perGateway = 4, moves = new Map() }) {
  const perSidecar = Math.min(gateways, Math.ceil((gateways * Math.min(perGateway, sidecars)) / sidecars));
  const stride = Math.max(1, Math.floor(gateways / sidecars));
  /** Tick times, unix seconds. */
  const ticks = [];
  const transportOf = (g) => (g % 2 === 0 ? 'capwap' : 'mqtt');

  // Per sidecar: its gateways, and one spec per series: label text, rate, and the tick range its
  // transport label covers. Per-sidecar aggregates (requests_total, the histogram) are summed from
  // the same specs.
  const fleet = Array.from({ length: sidecars }, (_, i) => {
    const specs = [];
    const gws = [];
    for (let j = 0; j < perSidecar; j++) {
      const g = (i * stride + j) % gateways;
      gws.push(g);
      const mac = gatewayMac(g);
      const original = transportOf(g);
      const move = original === 'capwap' ? moves.get(g) : undefined;
      const spans = move === undefined ? [[original, 0, Infinity]] : [[original, 0, move - 1], ['mqtt', move, Infinity]];
      for (const [transport, lo, hi] of spans) {
        const capwap = transport === 'capwap';
        const gt = `gateway="${mac}",transport="${transport}"`;
        const h = (k) => hash(i, g, k, capwap ? 1 : 2);
        // Every series ticks (a series exists once counted), so the series per sidecar and gateway
        // are those of a day's real traffic: about 22.
        const r200 = 2 + (h(1) % 4);
        const r404 = g % 2 === 0 ? 1 : 0;
        const r502 = capwap ? 1 + (h(2) % 3) : 1;
        const r504 = 1;
        const add = (family, labels, rate, extra = {}) => {
          if (rate > 0) specs.push({ family, text: `cassia_proxy_${family}{${labels}}`, rate, lo, hi, g, transport, ...extra });
        };
        add('gateway_requests_total', `${gt},code="200"`, r200, { code: '200', origin: 'upstream' });
        add('gateway_requests_total', `${gt},code="404"`, r404, { code: '404', origin: 'upstream' });
        add('gateway_requests_total', `${gt},code="502"`, r502, { code: '502', origin: 'upstream' });
        add('gateway_requests_total', `${gt},code="504"`, r504, { code: '504', origin: 'proxy' });
        add('gateway_errors_total', `${gt},code="502",origin="upstream"`, r502, { code: '502', origin: 'upstream' });
        add('gateway_errors_total', `${gt},code="504",origin="proxy"`, r504, { code: '504', origin: 'proxy' });
        // Outages and the 502/504s inside them, and the AC's error answers by what it said (one
        // word: the route label is the proxy's own, the report sums it away).
        add('gateway_outages_total', gt, capwap ? 2 : 1);
        add('gateway_outage_errors_total', gt, 1);
        add('ac_errors_total', `${gt},route="${ROUTE}",error="chip_busy"`, capwap ? 1 + (h(3) % 2) : 1);
        add('gateway_status_changes_total', gt, 0);
        for (const [s, stream] of (g % 2 === 0 ? STREAMS_TWO : STREAMS_ONE).entries()) {
          const st = `stream="${stream}",transport="${transport}",gateway="${mac}"`;
          const events = 10 + (h(10 + s) % 7);
          add('events_total', st, events);
          add('events_sequenced_total', st, events);
          add('events_missing_total', st, capwap ? 1 + (h(20 + s) % 3) : 1);
          add('events_out_of_order_total', st, 1 + (h(30 + s) % 2));
          add('events_duplicate_total', st, 1);
          add('sequence_resets_total', st, 1);
        }
      }
    }
    return { index: i, gateways: gws, specs, processes: [], failing: false, text: null };
  });

  /** The sidecars that see each gateway. */
  const sidecarsOf = Array.from({ length: gateways }, () => []);
  for (const s of fleet) for (const g of s.gateways) sidecarsOf[g].push(s);

  /** Ticks of `p` up to tick `k` within [lo, hi]. */
  const counted = (p, k, lo, hi) => overlap(p.firstTick, Math.min(p.lastTick, k), lo, hi);
  /** Ticks sidecar `s` counted up to tick `k` within [lo, hi], over all its processes. */
  const lifetime = (s, k, lo, hi) => s.processes.reduce((n, p) => n + counted(p, k, lo, hi), 0);
  /** The index of the last tick at or before `time`, -1 when none. */
  const lastTick = (time) => {
    let k = ticks.length - 1;
    while (k >= 0 && ticks[k] > time) k--;
    return k;
  };

  /**
   * [line without value, value, read] for every series of sidecar `s`'s process `p` as of tick
   * `k`; `read`: a family the fleet report reads (the others only make the series count real).
   */
  function* series(s, p, k) {
    const byTransport = new Map();
    const bucket = (transport) => {
      let b = byTransport.get(transport);
      if (!b) byTransport.set(transport, (b = { 200: 0, 404: 0, 502: 0, 504: 0 }));
      return b;
    };
    const seen = new Set();
    for (const spec of s.specs) {
      const n = counted(p, k, spec.lo, spec.hi);
      if (n === 0) continue;
      if (spec.family === 'gateway_requests_total') bucket(spec.transport)[spec.code] += spec.rate * n;
      seen.add(spec.g);
      yield [spec.text, spec.rate * n, spec.family !== 'sequence_resets_total'];
    }
    // Gauges and the status-change counter, for each gateway this process has counted, under the
    // transport it is on at tick k (the proxy drops gateway_info's old label set on a move).
    for (const g of s.gateways) {
      if (!seen.has(g)) continue;
      const move = moves.get(g);
      const transport = transportOf(g) === 'capwap' && move !== undefined && k >= move ? 'mqtt' : transportOf(g);
      const gt = `gateway="${gatewayMac(g)}",transport="${transport}"`;
      yield [`cassia_proxy_gateway_info{${gt},name="gw-${g}",model="X2000",version="2.0.3"}`, 1, false];
      yield [`cassia_proxy_gateway_online{${gt}}`, 1, false];
      yield [`cassia_proxy_gateway_status_changes_total{${gt}}`, 1, false];
      for (const stream of g % 2 === 0 ? STREAMS_TWO : STREAMS_ONE) {
        yield [`cassia_proxy_gateway_streams_active{gateway="${gatewayMac(g)}",stream="${stream}"}`, 1, false];
      }
    }
    const tokens = counted(p, k, 0, Infinity);
    if (tokens > 0) {
      yield ['cassia_proxy_requests_total{route="/api/oauth2/token",method="POST",code="200",origin="upstream",reason="response",transport="none"}', tokens, true];
    }
    for (const [transport, b] of byTransport) {
      const base = `route="${ROUTE}",method="GET"`;
      if (b[200]) yield [`cassia_proxy_requests_total{${base},code="200",origin="upstream",reason="response",transport="${transport}"}`, b[200], true];
      if (b[404]) yield [`cassia_proxy_requests_total{${base},code="404",origin="upstream",reason="response",transport="${transport}"}`, b[404], true];
      if (b[502]) yield [`cassia_proxy_requests_total{${base},code="502",origin="upstream",reason="response",transport="${transport}"}`, b[502], true];
      if (b[504]) yield [`cassia_proxy_requests_total{${base},code="504",origin="proxy",reason="headers_timeout",transport="${transport}"}`, b[504], true];
      for (const [i, le] of LE.entries()) {
        const v = (i >= LE_OF[502] ? b[502] + b[404] : 0) + (i >= LE_OF[200] ? b[200] : 0) + (i >= LE_OF[504] ? b[504] : 0);
        yield [`cassia_proxy_request_duration_seconds_bucket{${base},transport="${transport}",le="${le}"}`, v, true];
      }
      yield [`cassia_proxy_request_duration_seconds_count{${base},transport="${transport}"}`, b[200] + b[404] + b[502] + b[504], false];
    }
  }

  /** Per-process series that exist from the process's start: identity and start time. */
  const processLines = (p) => [
    ['cassia_proxy_build_info{version="0.1.0",node="v24.11.0"}', 1],
    ['cassia_proxy_process_start_time_seconds', p.start],
  ];

  return {
    sidecars: fleet,
    ticks,
    perSidecar,
    /** Counts one tick at unix time `time` on every running sidecar. */
    tick(time) {
      ticks.push(time);
    },
    /** Starts a new process on sidecar `i` at unix time `time`: it counts from the next tick. */
    start(i, time) {
      const s = fleet[i];
      const running = s.processes.at(-1);
      if (running && running.lastTick === Infinity) throw new Error(`sidecar ${i} is running`);
      s.processes.push({ firstTick: ticks.length, lastTick: Infinity, start: Math.round(time), end: Infinity });
    },
    /** Stops sidecar `i` at unix time `time`, after the last tick counted so far. */
    stop(i, time) {
      const p = fleet[i].processes.at(-1);
      if (p && p.lastTick === Infinity) {
        p.lastTick = ticks.length - 1;
        p.end = time;
      }
    },
    /** Whether sidecar `i` answers scrapes: a process running and not set failing. */
    serving(i) {
      const s = fleet[i];
      const p = s.processes.at(-1);
      return p !== undefined && p.lastTick === Infinity && !s.failing;
    },
    /** Makes sidecar `i` answer 503 (a scrape gap while its process keeps counting) or answer again. */
    fail(i, failing) {
      fleet[i].failing = failing;
    },
    /**
     * The Prometheus text exposition of sidecar `i` now. Built once per tick and process and kept
     * until the next (counters move only on ticks): the fleet's 20 sidecars share this machine
     * with Prometheus and the report, where real ones each have their own, so the harness should
     * not take the CPU the measured parts need.
     */
    exposition(i) {
      const s = fleet[i];
      const p = s.processes.at(-1);
      if (s.text?.process === p && s.text.ticks === ticks.length) return s.text.body;
      const out = [];
      for (const [text, value] of processLines(p)) out.push(`${text} ${value}`);
      for (const [text, value] of series(s, p, ticks.length - 1)) out.push(`${text} ${value}`);
      out.push('');
      s.text = { process: p, ticks: ticks.length, body: out.join('\n') };
      return s.text.body;
    },
    /**
     * OpenMetrics lines (with timestamp `time`, unix s) of every sidecar whose process runs at
     * `time`, as of the last tick at or before it, with `targetLabels(i)` (`job`, `instance`) added.
     * `perProcess`: only the per-process series (written on a finer grid); otherwise every family
     * the report reads.
     */
    historyLines(time, targetLabels, perProcess = false) {
      const k = lastTick(time);
      const out = [];
      const ts = ` ${time}`;
      for (const s of fleet) {
        const p = s.processes.find((x) => x.start <= time && time < x.end);
        if (!p) continue;
        const target = targetLabels(s.index);
        const withLabels = (text) => {
          const brace = text.indexOf('{');
          return brace < 0 ? `${text}{${target}}` : `${text.slice(0, brace + 1)}${target},${text.slice(brace + 1)}`;
        };
        for (const [text, value] of processLines(p)) out.push(`${withLabels(text)} ${value}${ts}`);
        if (perProcess) continue;
        for (const [text, value, read] of series(s, p, k)) if (read) out.push(`${withLabels(text)} ${value}${ts}`);
      }
      return out;
    },
    /**
     * The truth over the ticks with time in (from, to]: every series' increment (with its spec:
     * family, gateway, transport, code, origin) and each sidecar's token calls (family `tokens`).
     */
    truth(from, to) {
      const a = lastTick(from);
      const b = lastTick(to);
      const out = [];
      for (const s of fleet) {
        for (const spec of s.specs) {
          const n = lifetime(s, b, spec.lo, spec.hi) - lifetime(s, a, spec.lo, spec.hi);
          if (n > 0) out.push({ sidecar: s.index, spec, increment: spec.rate * n });
        }
        const tokens = lifetime(s, b, 0, Infinity) - lifetime(s, a, 0, Infinity);
        if (tokens > 0) out.push({ sidecar: s.index, spec: { family: 'tokens', transport: 'none', code: '200', origin: 'upstream' }, increment: tokens });
      }
      return out;
    },
    /** Whether gateway `g` was active under `transport` at tick `k` (some sidecar counting it). */
    activeAt(g, transport, k) {
      const move = moves.get(g);
      const original = transportOf(g);
      const on = original === 'capwap' && move !== undefined && k >= move ? 'mqtt' : original;
      if (on !== transport) return false;
      return sidecarsOf[g].some((s) => s.processes.some((p) => p.firstTick <= k && k <= p.lastTick));
    },
    transportOf,
  };
}

/** Counts as the report shows them per gateway (`sinceStart`/`window` of /api/gateways) and per transport. */
const FIELDS = [
  'requests', 'upstream502', 'proxy502', 'upstream504', 'proxy504', 'events', 'sequenced', 'missing', 'outOfOrder', 'duplicate',
  'outages', 'outageErrors', 'chipBusy',
];
const zero = () => Object.fromEntries(FIELDS.map((f) => [f, 0]));
const FIELD_OF = {
  events_total: 'events', events_sequenced_total: 'sequenced', events_missing_total: 'missing',
  events_out_of_order_total: 'outOfOrder', events_duplicate_total: 'duplicate',
  gateway_outages_total: 'outages', gateway_outage_errors_total: 'outageErrors', ac_errors_total: 'chipBusy',
};

/**
 * The truth rows of fleet.truth() summed as the report sums them: per gateway MAC (all transports
 * together), per gateway and transport (`MAC transport`), and per transport (token calls under
 * `none`).
 */
export function expectedCounts(rows) {
  const gateways = new Map();
  const segments = new Map();
  const transports = new Map();
  const at = (map, key) => {
    let c = map.get(key);
    if (!c) map.set(key, (c = zero()));
    return c;
  };
  for (const { spec, increment } of rows) {
    // Token calls name no gateway: the report counts them under gateway and transport `none`.
    const targets = spec.family === 'tokens'
      ? [at(gateways, 'none'), at(segments, 'none none'), at(transports, 'none')]
      : [at(gateways, gatewayMac(spec.g)), at(segments, `${gatewayMac(spec.g)} ${spec.transport}`), at(transports, spec.transport)];
    for (const c of targets) {
      if (spec.family === 'gateway_requests_total' || spec.family === 'tokens') {
        c.requests += increment;
        // Per transport, requests_total carries the origin itself.
        if (c === targets.at(-1) && (spec.code === '502' || spec.code === '504')) c[`${spec.origin}${spec.code}`] += increment;
      } else if (spec.family === 'gateway_errors_total') {
        if (c !== targets.at(-1)) c[`${spec.origin}${spec.code}`] += increment;
      } else if (FIELD_OF[spec.family]) {
        c[FIELD_OF[spec.family]] += increment;
      }
    }
  }
  return { gateways, segments, transports };
}
