// Types of fake-fleet.mjs for the TypeScript tests that drive it.
export interface FleetSpec {
  family: string;
  g: number;
  transport: string;
  code?: string;
  origin?: string;
  rate: number;
}
export interface TruthRow {
  sidecar: number;
  spec: FleetSpec;
  increment: number;
}
export interface FleetProcess {
  firstTick: number;
  lastTick: number;
  start: number;
  end: number;
}
export interface FakeFleet {
  sidecars: Array<{ index: number; gateways: number[]; processes: FleetProcess[] }>;
  ticks: number[];
  perSidecar: number;
  tick(time: number): void;
  start(i: number, time: number): void;
  stop(i: number, time: number): void;
  serving(i: number): boolean;
  fail(i: number, failing: boolean): void;
  exposition(i: number): string;
  historyLines(time: number, targetLabels: (i: number) => string, perProcess?: boolean): string[];
  truth(from: number, to: number): TruthRow[];
  activeAt(g: number, transport: string, k: number): boolean;
  transportOf(g: number): string;
}
export type Counts = Record<
  'requests' | 'upstream502' | 'proxy502' | 'upstream504' | 'proxy504' | 'events' | 'sequenced' | 'missing' | 'outOfOrder' | 'duplicate'
  | 'outages' | 'outageErrors' | 'chipBusy', number>;
export function createFakeFleet(options: { sidecars: number; gateways: number; perGateway?: number; moves?: Map<number, number> }): FakeFleet;
export function gatewayMac(g: number): string;
export function expectedCounts(rows: TruthRow[]): { gateways: Map<string, Counts>; segments: Map<string, Counts>; transports: Map<string, Counts> };
