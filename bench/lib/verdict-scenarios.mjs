// The sessions bench/verdict-eval.mjs runs: fault profiles from the simulator's own defaults,
// traffic like the demo's client (about 2.3 calls and 8 sequenced events per second per gateway).
import { DEFAULT_CAPWAP, DEFAULT_MQTT } from '../../dist/src/simulator/profile.js';
import { mulberry32, hashString } from '../../dist/src/simulator/prng.js';

const CALLS = 2.3;
const EVENTS = 8;

/** The demo's CAPWAP (src/demo/run.ts). */
const DEMO_CAPWAP = { ...DEFAULT_CAPWAP, http502: 0.05, http504: 0.03, drop: 0.03, duplicate: 0.01, reorder: 0.01, offlineMeanIntervalS: 120 };
const NO_OUTAGES = { offlineMeanIntervalS: 0 };
/** Bursty loss: a bad state of ~10 s every ~70 s, in which a third of calls fail and a third of events are lost. */
const BURSTS = { burstGoodMeanS: 60, burstBadMeanS: 10, burstHttp502: 0.2, burstHttp504: 0.1, burstDrop: 0.3 };
/** The outages of the field report: every ~90 s, 5–20 s each, on every gateway. */
const OUTAGES = { offlineMeanIntervalS: 90, offlineMinS: 5, offlineMaxS: 20 };

function fleet(capwap, mqtt, specC, specM, extra = () => ({})) {
  return (seed) => {
    const rng = mulberry32(hashString(`fleet:${seed}`));
    const out = [];
    for (let i = 0; i < capwap; i++) out.push({ transport: 'capwap', callsPerS: CALLS, eventsPerS: EVENTS, offlineKnown: false, ...specC(i, rng), ...extra(rng) });
    for (let i = 0; i < mqtt; i++) out.push({ transport: 'mqtt', callsPerS: CALLS, eventsPerS: EVENTS, offlineKnown: false, ...specM(i, rng), ...extra(rng) });
    return out;
  };
}

/** Standard normal variate (Box–Muller). */
const normal = (rng) => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

const same = (profile) => () => ({ profile });

export const SCENARIOS = [
  {
    name: 'aa-independent', kind: 'A/A', what: 'both transports: CAPWAP default faults, independent, no outages',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...NO_OUTAGES }), same({ ...DEFAULT_CAPWAP, ...NO_OUTAGES })),
  },
  {
    name: 'aa-bursty', kind: 'A/A', what: 'both: bursty loss (Gilbert–Elliott), no outages',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...NO_OUTAGES, ...BURSTS }), same({ ...DEFAULT_CAPWAP, ...NO_OUTAGES, ...BURSTS })),
  },
  {
    name: 'aa-outages', kind: 'A/A', what: 'both: CAPWAP default faults, outages every ~90 s on every gateway',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...OUTAGES }), same({ ...DEFAULT_CAPWAP, ...OUTAGES })),
  },
  {
    name: 'aa-sites', kind: 'A/A', what: 'both: gateways differ in quality (each its own factor, log-sd 0.7), bursts and outages',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }), same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }),
      (rng) => ({ quality: Math.exp(0.7 * normal(rng)) })),
  },
  {
    name: 'aa-sites-few', kind: 'A/A', what: 'as aa-sites with 2 CAPWAP and 6 MQTT gateways',
    gateways: fleet(2, 6, same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }), same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }),
      (rng) => ({ quality: Math.exp(0.7 * normal(rng)) })),
  },
  {
    name: 'aa-traffic', kind: 'A/A', what: 'both MQTT-clean (rare failures); CAPWAP gateways get 4x the traffic; 2 CAPWAP, 6 MQTT',
    gateways: fleet(2, 6, () => ({ profile: DEFAULT_MQTT, callsPerS: 4 * CALLS, eventsPerS: 4 * EVENTS }), same(DEFAULT_MQTT)),
  },
  {
    name: 'aa-traffic-few', kind: 'A/A', what: 'both: CAPWAP default faults; 2 CAPWAP gateways with a quarter of the traffic, 6 MQTT',
    gateways: fleet(2, 6, () => ({ profile: DEFAULT_CAPWAP, callsPerS: CALLS / 4, eventsPerS: EVENTS / 4 }), same(DEFAULT_CAPWAP)),
  },
  {
    name: 'aa-probes', kind: 'A/A', what: 'as aa-sites, and the proxy probing every gateway every 5 s (the demo\'s pace)',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }), same({ ...DEFAULT_CAPWAP, ...BURSTS, offlineMeanIntervalS: 300 }),
      (rng) => ({ quality: Math.exp(0.7 * normal(rng)), probeIntervalS: 5 })),
  },
  {
    name: 'ab-default', kind: 'A/B', what: "the simulator's defaults: CAPWAP vs MQTT",
    gateways: fleet(4, 4, () => ({ profile: DEFAULT_CAPWAP, shouldMove: true }), same(DEFAULT_MQTT)),
  },
  {
    name: 'ab-demo', kind: 'A/B', what: "the demo's profiles (npm start)",
    gateways: fleet(4, 4, () => ({ profile: DEMO_CAPWAP, shouldMove: true }), same(DEFAULT_MQTT)),
  },
  {
    name: 'ab-demo-probes', kind: 'A/B', what: "the demo's profiles with its probes every 5 s",
    gateways: fleet(4, 4, () => ({ profile: DEMO_CAPWAP, shouldMove: true, probeIntervalS: 5 }), () => ({ profile: DEFAULT_MQTT, probeIntervalS: 5 })),
  },
  {
    name: 'ab-quiet', kind: 'A/B', what: 'no application traffic at all: only probes every 30 s (the default pace), default profiles',
    gateways: fleet(4, 4, () => ({ profile: DEFAULT_CAPWAP, shouldMove: true, callsPerS: 0, eventsPerS: 0, probeIntervalS: 30 }),
      () => ({ profile: DEFAULT_MQTT, callsPerS: 0, eventsPerS: 0, probeIntervalS: 30 })),
  },
  {
    name: 'ab-quiet-5s', kind: 'A/B', what: 'no application traffic: only probes, every 5 s, default profiles',
    gateways: fleet(4, 4, () => ({ profile: DEFAULT_CAPWAP, shouldMove: true, callsPerS: 0, eventsPerS: 0, probeIntervalS: 5 }),
      () => ({ profile: DEFAULT_MQTT, callsPerS: 0, eventsPerS: 0, probeIntervalS: 5 })),
  },
  {
    name: 'ab-mild', kind: 'A/B', what: 'CAPWAP mildly worse: 502/504 0.9 % and loss 0.4 % vs MQTT 0.15 % / 0.05 %',
    gateways: fleet(4, 4, () => ({ profile: { ...DEFAULT_MQTT, http502: 0.006, http504: 0.003, drop: 0.004 }, shouldMove: true }), same(DEFAULT_MQTT)),
  },
  {
    name: 'ab-sites', kind: 'A/B', what: 'defaults, gateways differing in quality (log-sd 0.7)',
    gateways: fleet(4, 4, () => ({ profile: DEFAULT_CAPWAP, shouldMove: true }), same(DEFAULT_MQTT), (rng) => ({ quality: Math.exp(0.7 * normal(rng)) })),
  },
  {
    name: 'change-aa', kind: 'A/A change', what: 'a CAPWAP gateway relabelled MQTT after 30 min, faults unchanged (bursts, outages)',
    gateways: fleet(4, 4, same({ ...DEFAULT_CAPWAP, ...BURSTS, ...OUTAGES }), same({ ...DEFAULT_CAPWAP, ...BURSTS, ...OUTAGES })),
    change: { gateway: 0, from: 'capwap', to: 'mqtt', atS: 1800, expect: null },
  },
  {
    name: 'change-ab', kind: 'A/B change', what: 'a CAPWAP gateway moved onto the MQTT profile after 30 min',
    gateways: fleet(4, 4, () => ({ profile: DEFAULT_CAPWAP, shouldMove: true }), same(DEFAULT_MQTT)),
    change: { gateway: 0, from: 'capwap', to: 'mqtt', atS: 1800, expect: 'improved', profile: DEFAULT_MQTT },
  },
];
