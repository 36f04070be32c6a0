/**
 * The correctness core under mutation testing (docs/testing.md): for each
 * module, the files Stryker mutates and the tests that must kill the mutants.
 * The test set is named by hand rather than found through vitest's `related`:
 * the Convex functions are bundled at run time (src/convex/loadConvexDir.ts),
 * so no import graph leads from a test to them, and the relay's files are
 * imported by nearly every database test, most of which never reach the lines
 * being mutated. Shared by stryker.config.mjs and vitest.mutate.config.ts.
 */
export const MUTATION_MODULES = {
  apply: {
    what: 'the Convex apply (versions, tombstones, companion content)',
    mutate: ['examples/story-site/convex/tandem/apply.ts'],
    tests: [
      'test/convex/applyBatch.test.ts',
      'test/convex/keepContent.test.ts',
      'test/convex/targets.test.ts',
    ],
  },
  outbox: {
    what: 'outbox claims, leases and completion',
    mutate: ['src/relay/outboxStore.ts'],
    tests: ['test/mirror/relay.test.ts'],
  },
  backfill: {
    what: 'backfill paging and row versions',
    mutate: ['src/backfill/readPage.ts', 'src/backfill/pageBatches.ts'],
    tests: ['test/backfill/readPage.test.ts', 'test/backfill/backfill.test.ts'],
  },
  mapping: {
    what: 'the value mapping and the canonical hash (Node and Convex sides)',
    mutate: ['src/mapping/**/*.ts', 'examples/story-site/convex/tandem/canonical.ts'],
    tests: ['test/mapping/*.test.ts', 'test/parity/convexCanonical.test.ts'],
  },
  parity: {
    what: 'parity range digests and bisection',
    mutate: ['src/parity/fullCheck.ts', 'src/parity/digest.ts', 'src/parity/keys.ts'],
    tests: ['test/parity/parity.test.ts'],
  },
  packing: {
    what: 'packing transactions into calls and splitting big ones',
    mutate: ['src/relay/packing.ts'],
    tests: ['test/relay/packing.test.ts'],
  },
};

/** The module named by TANDEM_MUTATE_MODULE; throws with the known names otherwise. */
export function selectedModule(env = process.env) {
  const name = env.TANDEM_MUTATE_MODULE;
  const module = name ? MUTATION_MODULES[name] : undefined;
  if (!module) {
    throw new Error(
      `TANDEM_MUTATE_MODULE must name a module (${Object.keys(MUTATION_MODULES).join(', ')}); got ${JSON.stringify(name)}`,
    );
  }
  return { name, ...module };
}
