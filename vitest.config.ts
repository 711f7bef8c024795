import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Whole-stack tests start real servers and child processes; two cores, so keep it modest.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a one-line summary ("N passed, N failed") for CI.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
  },
});
