import { defineConfig } from 'vitest/config';
import { sourceAliases } from './scripts/sourceAliases.mjs';

export default defineConfig({
  // Examples import Tandem as a package (`tandem`, `tandem/convex`, …): on the
  // sources here, as tsconfig.json's `paths` map them for tsc and tsx.
  resolve: { alias: sourceAliases() },
  test: {
    include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
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
