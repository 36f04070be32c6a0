// The test set of the module under mutation (scripts/mutationModules.mjs), or
// TANDEM_MUTATE_TESTS (comma-separated, scripts/sqlMutations.mjs), with no CLI
// build step: these tests never spawn the compiled CLI.
import { defineConfig } from 'vitest/config';
import { selectedModule } from './scripts/mutationModules.mjs';
import { sourceAliases } from './scripts/sourceAliases.mjs';

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: process.env.TANDEM_MUTATE_TESTS?.split(',') ?? selectedModule().tests,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
