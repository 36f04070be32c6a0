/**
 * exportDocuments / importDocuments, the persistence hooks: a store exported
 * and imported into a fresh backend answers the same queries, continues its
 * ids and creation times after the loaded ones, and bad input loads nothing.
 */
import { describe, expect, it } from 'vitest';
import { convexTest } from 'convex-test';
import { makeFunctionReference } from 'convex/server';
import {
  attachIndexedStore,
  exportDocuments,
  importDocuments,
  importDocumentsPaced,
  type StoredDocument,
} from '../../../src/convex/indexedStore/index.js';
import { conformanceModules, conformanceSchema, encode, type Op } from './conformanceModel.js';

const runOps = makeFunctionReference<'mutation'>('ops:runOps');

function indexedBackend() {
  const backend = convexTest({
    schema: conformanceSchema,
    modules: conformanceModules,
    transactionLimits: true,
  });
  attachIndexedStore(backend, conformanceSchema);
  return backend;
}

const byAB: Op = {
  kind: 'query',
  spec: {
    table: 'items',
    index: 'by_a_b',
    range: [['eq', 'a', 1]],
    order: 'desc',
    terminal: { kind: 'collect' },
  },
};

async function seed(backend: ReturnType<typeof indexedBackend>): Promise<unknown[]> {
  const ops: Op[] = [];
  for (let i = 0; i < 20; i++) {
    ops.push({
      kind: 'insert',
      table: i % 5 === 0 ? 'others' : 'items',
      fields: i % 5 === 0 ? { a: i % 3 } : { a: i % 3, b: i % 2 ? 'x' : 'y', c: i, tag: 'p' },
    });
  }
  const inserted = (await backend.mutation(runOps, {
    ops: encode(ops),
    fail: false,
    knownIds: [],
  })) as string[];
  await backend.mutation(runOps, {
    ops: encode([
      { kind: 'delete', ref: 3 },
      { kind: 'patch', ref: 4, fields: { a: 1 } },
    ]),
    fail: false,
    knownIds: inserted,
  });
  return inserted;
}

describe('exportDocuments / importDocuments', () => {
  it('round-trips every committed document and continues ids and creation times after them', async () => {
    const source = indexedBackend();
    await seed(source);
    const exported = exportDocuments(source);
    const documents = [...exported.documents].map((d) => structuredClone(d));
    expect(documents).toHaveLength(19);
    expect(new Set(documents.map((d) => d._id)).size).toBe(19);
    expect(exported.counters.nextDocId).toBe(10_020);

    const target = indexedBackend();
    expect(importDocuments(target, documents, exported.counters)).toEqual({ documents: 19 });

    const query = { ops: encode([byAB]), fail: false, knownIds: [] };
    expect(await target.mutation(runOps, query)).toEqual(await source.mutation(runOps, query));
    const insert = {
      ops: encode([{ kind: 'insert', table: 'items', fields: { a: 9, c: null, tag: 'q' } } as Op]),
      fail: false,
      knownIds: [],
    };
    const [newId] = (await target.mutation(runOps, insert)) as string[];
    expect(newId).toBe('000000000000000000000010020items');
    const newest = await target.run((ctx) => ctx.db.query('items').order('desc').first());
    expect(newest!._id).toBe(newId);
    expect(newest!._creationTime).toBeGreaterThan(
      Math.max(...documents.map((d) => d._creationTime)),
    );
  });

  it('refuses a document without a valid _id and loads nothing', async () => {
    const source = indexedBackend();
    await seed(source);
    const { documents, counters } = exportDocuments(source);
    const bad = [...documents].map((d) => ({ ...d }));
    bad[7] = { ...bad[7]!, _id: 'no-counter' } as StoredDocument;
    const target = indexedBackend();
    expect(() => importDocuments(target, bad, counters)).toThrow(
      'importDocuments: document 7 has no valid _id / _creationTime',
    );
    expect(await target.run((ctx) => ctx.db.query('items').collect())).toEqual([]);
    expect(
      await target.run((ctx) =>
        ctx.db
          .query('items')
          .withIndex('by_a', (q) => q.eq('a', 1))
          .collect(),
      ),
    ).toEqual([]);
  });

  it('a paced import stopped by its pause loads nothing, and the backend can load again', async () => {
    const source = indexedBackend();
    await seed(source);
    const { documents, counters } = exportDocuments(source);
    const all = [...documents];
    const target = indexedBackend();
    let pauses = 0;
    await expect(
      importDocumentsPaced(target, all, counters, () => {
        if (++pauses === 3) throw new Error('stopped');
      }),
    ).rejects.toThrow('stopped');
    expect(await target.run((ctx) => ctx.db.query('items').collect())).toEqual([]);
    expect(await target.run((ctx) => ctx.db.get(all[0]!._id as never))).toBeNull();
    expect(await importDocumentsPaced(target, all, counters, () => undefined)).toEqual({ documents: 19 });
    const query = { ops: encode([byAB]), fail: false, knownIds: [] };
    expect(await target.mutation(runOps, query)).toEqual(await source.mutation(runOps, query));
  });

  it('refuses two documents with one _id, naming it, and loads nothing', async () => {
    const source = indexedBackend();
    await seed(source);
    const { documents, counters } = exportDocuments(source);
    const all = [...documents];
    const target = indexedBackend();
    expect(() => importDocuments(target, [...all, { ...all[2]! }], counters)).toThrow(
      `importDocuments: two documents to load have the _id ${all[2]!._id}`,
    );
    expect(await target.run((ctx) => ctx.db.query('items').collect())).toEqual([]);
  });

  it('refuses to export while a function runs', async () => {
    const backend = indexedBackend();
    await expect(backend.run(async () => exportDocuments(backend))).rejects.toThrow(
      'exportDocuments: a function is running; call it between functions',
    );
  });
});
