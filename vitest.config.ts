import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one Redis server; files run one after another so their timing
    // measurements and connection counts do not interfere. Unit tests are fast either way.
    fileParallelism: false,
    testTimeout: 20_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
