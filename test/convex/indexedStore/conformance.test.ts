/**
 * The indexed store answers exactly as plain convex-test does: the same
 * random sequences of inserts, patches, replaces, deletes (valid and not,
 * some in mutations that fail and roll back) and queries (index equalities
 * and ranges on one- to three-field indexes, both orders, filters, take,
 * first, unique, pagination with cursors, row limits and an end cursor) run
 * on both, with the same clock, and every outcome, results and errors, must
 * be equal. Low transaction limits make both count reads alike. Now and then
 * the indexed side restarts: its documents are exported and loaded into a
 * fresh indexed backend (every index built at once from sorted keys, as a
 * restart builds them), which must carry on answering exactly the same.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { convexTest } from 'convex-test';
import { makeFunctionReference } from 'convex/server';
import {
  attachIndexedStore,
  exportDocuments,
  importDocuments,
} from '../../../src/convex/indexedStore/index.js';
import {
  conformanceModules,
  conformanceSchema,
  encode,
  step,
  type Step,
} from './conformanceModel.js';

const runOps = makeFunctionReference<'mutation'>('ops:runOps');
const page = makeFunctionReference<'query'>('ops:page');

let clock = 1_000_000;
beforeEach(() => {
  vi.spyOn(Date, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Backend = ReturnType<typeof convexTest>;

const options = {
  schema: conformanceSchema,
  modules: conformanceModules,
  transactionLimits: { documentsRead: 120, databaseQueries: 40 },
};

function createIndexed(): Backend {
  const indexed = convexTest(options);
  // convex-test's own read accounting (only returned documents), to compare like with like.
  attachIndexedStore(indexed, conformanceSchema, { countFilteredReads: false });
  return indexed;
}

/** A fresh indexed backend holding `backend`'s documents, loaded as a restart loads them. */
function restarted(backend: Backend): Backend {
  const { documents, counters } = exportDocuments(backend);
  const fresh = createIndexed();
  importDocuments(fresh, documents, counters);
  return fresh;
}

type RunStep = Step | { kind: 'restart' };
const runStepArbitrary: fc.Arbitrary<RunStep> = fc.oneof(
  { weight: 8, arbitrary: step },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

async function outcome<T>(call: () => Promise<T>): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (err) {
    return { error: (err as Error).message, data: (err as { data?: unknown }).data };
  }
}

/** Runs one step on a backend; returns its outcome and the ids it inserted. */
async function runStep(backend: Backend, s: Step, knownIds: string[]): Promise<unknown[]> {
  if (s.kind === 'mutation') {
    return [
      await outcome(() => backend.mutation(runOps, { ops: encode(s.ops), fail: s.fail, knownIds })),
    ];
  }
  const pages: unknown[] = [];
  let cursor: string | null = null;
  let firstContinue: string | undefined;
  for (let i = 0; i < 40; i++) {
    const paginationOpts = { numItems: s.numItems, cursor, maximumRowsRead: s.maximumRowsRead };
    const result = (await outcome(() =>
      backend.query(page, { spec: encode(s.spec), paginationOpts }),
    )) as {
      value?: { isDone: boolean; continueCursor: string };
    };
    pages.push(result);
    if (!result.value || result.value.isDone) break;
    firstContinue ??= result.value.continueCursor;
    cursor = result.value.continueCursor;
  }
  if (firstContinue !== undefined) {
    // A page refetched up to a known end (what usePaginatedQuery does): no page size then.
    const paginationOpts = { numItems: s.numItems, cursor: null, endCursor: firstContinue };
    pages.push(await outcome(() => backend.query(page, { spec: encode(s.spec), paginationOpts })));
  }
  return pages;
}

function insertedIds(results: unknown[]): string[] {
  const first = results[0] as { value?: unknown[]; data?: { results?: unknown[] } };
  const values = first.value ?? first.data?.results ?? [];
  return values.filter((x): x is string => typeof x === 'string');
}

describe('indexed store conformance with convex-test', () => {
  it('gives the same results and errors as plain convex-test for random writes and queries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(runStepArbitrary, { minLength: 5, maxLength: 30 }), async (steps) => {
        clock = 1_000_000;
        const plain = convexTest(options);
        let indexed = createIndexed();
        const knownIds: string[] = [];
        for (const s of steps) {
          if (s.kind === 'restart') {
            indexed = restarted(indexed);
            continue;
          }
          if (s.kind === 'mutation') clock += s.clockStep;
          const expected = await runStep(plain, s, knownIds);
          const actual = await runStep(indexed, s, knownIds);
          expect(actual).toEqual(expected);
          if (s.kind === 'mutation') knownIds.push(...insertedIds(expected));
        }
      }),
      { numRuns: 120 },
    );
  });
});
