// The test set of the module under mutation (scripts/mutationModules.mjs), or
// TANDEM_MUTATE_TESTS (comma-separated, scripts/sqlMutations.mjs), with no CLI
// build step: these tests never spawn the compiled CLI. A module's `backends`
// narrows its database suites (TANDEM_TEST_BACKENDS, test/support/db.ts) unless
// the environment already does.
import { defineConfig } from 'vitest/config';
import { selectedModule } from './scripts/mutationModules.mjs';
import { sourceAliases } from './scripts/sourceAliases.mjs';

const testFiles = process.env.TANDEM_MUTATE_TESTS?.split(',');
const backends =
  process.env.TANDEM_TEST_BACKENDS ?? (testFiles ? undefined : selectedModule().backends);

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: testFiles ?? selectedModule().tests,
    env: backends ? { TANDEM_TEST_BACKENDS: backends } : {},
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
