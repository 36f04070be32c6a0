/**
 * A query's results are dropped once it is read to its end: convex-test keeps
 * every query's results for the life of the backend (one entry per query, so
 * millions in a long backfill), the indexed store does not.
 */
import { describe, expect, it } from 'vitest';
import { convexTest } from 'convex-test';
import { makeFunctionReference } from 'convex/server';
import {
  reachConvexGlobal,
  rootDatabase,
} from '../../../src/convex/indexedStore/convexTestInternals.js';
import { attachIndexedStore } from '../../../src/convex/indexedStore/index.js';
import { conformanceModules, conformanceSchema, encode, type Op } from './conformanceModel.js';

const runOps = makeFunctionReference<'mutation'>('ops:runOps');

describe('query results', () => {
  it('keeps none after the queries were read to the end (collect, take, first, unique)', async () => {
    const backend = convexTest({ schema: conformanceSchema, modules: conformanceModules, transactionLimits: true });
    attachIndexedStore(backend, conformanceSchema);
    const inserts: Op[] = Array.from({ length: 10 }, (_, i) => ({
      kind: 'insert',
      table: 'items',
      fields: { a: i % 3, b: 'x', c: i, tag: 't' },
    }));
    const terminals = [{ kind: 'collect' }, { kind: 'take', n: 2 }, { kind: 'first' }, { kind: 'unique' }] as const;
    const queries: Op[] = terminals.flatMap((terminal) =>
      [0, 1, 2, 7].map((a): Op => ({
        kind: 'query',
        spec: { table: 'items', index: 'by_a', range: [['eq', 'a', a]], terminal },
      })),
    );
    const results = (await backend.mutation(runOps, {
      ops: encode([...inserts, ...queries]),
      fail: false,
      knownIds: [],
    })) as unknown[];
    // The queries ran and answered (unique on a = 0..2 finds several documents and says so).
    expect((results[10] as unknown[]).length).toBe(4);
    expect(results.slice(10 + 12)).toEqual([
      { error: expect.stringContaining('unique() query returned more than one result') },
      { error: expect.stringContaining('unique() query returned more than one result') },
      { error: expect.stringContaining('unique() query returned more than one result') },
      null,
    ]);
    const db = rootDatabase(reachConvexGlobal(backend));
    expect(Object.keys(db._queryResults)).toEqual([]);
  });
});
