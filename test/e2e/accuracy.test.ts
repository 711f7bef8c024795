/**
 * The point of stream analysis: with loss, duplication and reordering injected on CAPWAP
 * gateways (none on MQTT), the proxy's counters EQUAL the simulator's ground truth for every
 * gateway and stream kind, and events_total equals what the client received. The run and its
 * checks are test/helpers/fault-run.ts (shared with the HTTPS-upstream run).
 */
import { describe, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import { startProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { expectFaultRunMatchesTruth, faultRunSimulator, simGatewayMap } from '../helpers/fault-run.js';

const { defer } = cleanupAfterEach();

describe.each([1, 7, 2024])('accuracy against simulator truth (seed %i)', (seed) => {
  it('missing, duplicate and out-of-order counts equal the truth; events equal what the client received', async () => {
    const sim = await createSimulator(faultRunSimulator(seed));
    defer(() => sim.close());
    const proxy = await startProxy(
      testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) }, sequence: { reorderWindowTime: 500 }, log: { access: false } }),
      { log: capturedLogger('warn').log },
    );
    defer(() => proxy.close());
    await expectFaultRunMatchesTruth(sim, proxy);
  }, 30_000);
});
