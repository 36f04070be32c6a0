import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that spawn bin/tandem.js run the compiled CLI: rebuild dist/ when stale.
    globalSetup: ['test/support/buildCli.ts'],
    // Two cores: each file gets its own database, so files may run side by side,
    // but more than two workers only adds contention.
    maxWorkers: 2,
    // A focused test (.only) fails the run, on a laptop as in CI: never a quietly partial suite.
    allowOnly: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
