/**
 * The correctness core under mutation testing (docs/testing.md): for each
 * module, the files Stryker mutates and the tests that must kill the mutants.
 * The test set is named by hand rather than found through vitest's `related`:
 * the Convex functions are bundled at run time (src/convex/loadConvexDir.ts),
 * so no import graph leads from a test to them, and the relay's files are
 * imported by nearly every database test, most of which never reach the lines
 * being mutated. Shared by stryker.config.mjs and vitest.mutate.config.ts.
 *
 * `backends` (TANDEM_TEST_BACKENDS) runs a database-bound module's suites on
 * the real server only: each mutant then pays for one database per file
 * instead of two, and PGlite's engine is not what these modules' logic is about.
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
    backends: 'postgres',
    what: 'outbox claims, leases and completion',
    mutate: ['src/outbox/outboxStore.ts'],
    // The statements one by one on a reset outbox (a second or so a mutant);
    // test/mirror/relay.test.ts builds a story-site database per test (40 s a mutant).
    tests: ['test/outbox/outboxStore.test.ts'],
  },
  backfill: {
    backends: 'postgres',
    what: 'backfill paging and row versions',
    mutate: ['src/backfill/readPage.ts', 'src/backfill/pageBatches.ts'],
    tests: [
      'test/backfill/pageBatches.test.ts',
      'test/backfill/readPage.test.ts',
      'test/backfill/backfill.test.ts',
    ],
  },
  mapping: {
    what: 'the value mapping and the canonical hash (Node and Convex sides)',
    // The value mapping and both canonical hashes; the Convex side is the kit's
    // (convex-kit/), which the pinning test imports, not an app's generated copy.
    // Pure tests, no database; they import the story-site fixture from
    // test/support/storySiteTables.ts, not storySiteMirror.ts, which loads all
    // of `tandem` (seconds a mutant).
    mutate: [
      'src/mapping/columnValue.ts',
      'src/mapping/jsonValue.ts',
      'src/mapping/canonical.ts',
      'convex-kit/tandem/canonical.ts',
    ],
    tests: [
      'test/mapping/columnValue.test.ts',
      'test/mapping/jsonValue.test.ts',
      'test/mapping/mapChange.test.ts',
      'test/parity/convexCanonical.test.ts',
    ],
  },
  parity: {
    backends: 'postgres',
    what: 'parity range digests and bisection',
    mutate: ['src/parity/fullCheck.ts', 'src/parity/digest.ts', 'src/parity/keys.ts'],
    // Bisection against a Convex side in a map (exact drift and round trips),
    // keys without a database, digests and key order pinned to the Convex side.
    // parity.test.ts (end to end through the stand-in and a relay) adds nothing
    // these miss and costs a story-site database per mutant.
    tests: [
      'test/parity/fullCheck.test.ts',
      'test/parity/digest.test.ts',
      'test/parity/keys.test.ts',
      'test/parity/convexCanonical.test.ts',
    ],
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
