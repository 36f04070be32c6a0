/**
 * Convex's document limits, enforced on every write of the indexed store
 * (plain convex-test enforces none): size, nesting depth, field names,
 * fields per object, array length. A refused write fails its mutation and
 * leaves nothing behind. Ad-hoc schema, not the story site's.
 */
import { describe, expect, it } from 'vitest';
import { convexTest } from 'convex-test';
import {
  defineSchema,
  defineTable,
  type GenericDataModel,
  type GenericQueryCtx,
} from 'convex/server';
import { v } from 'convex/values';
import { attachIndexedStore } from '../../../src/convex/indexedStore/index.js';

const schema = defineSchema({ blobs: defineTable({ body: v.any() }) });
const modules = { './_generated/server.js': async () => ({}) };

function backend() {
  const t = convexTest({ schema, modules, transactionLimits: true });
  attachIndexedStore(t, schema);
  return t;
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { x: value };
  return value;
}

async function insertBody(body: unknown): Promise<string> {
  const t = backend();
  try {
    await t.run(async (ctx) => {
      await ctx.db.insert('blobs', { body: 'first, kept only if the mutation commits' });
      await ctx.db.insert('blobs', { body });
    });
    return 'ok';
  } catch (err) {
    expect(await t.run((ctx) => ctx.db.query('blobs').collect())).toEqual([]);
    return (err as Error).message;
  }
}

describe('Convex document limits', () => {
  it('refuses a document over 1 MiB and accepts one just under', async () => {
    expect(await insertBody('x'.repeat(1024 * 1024))).toMatch(
      /^Document is too large \(\d+ bytes > maximum size 1048576 bytes\) \(table "blobs"\)/,
    );
    expect(await insertBody('x'.repeat(1024 * 1024 - 200))).toBe('ok');
  });

  it('refuses nesting deeper than 16 levels, the document being level 1', async () => {
    // body is the outermost of the nested objects, at level 2: 15 of them reach level 16.
    expect(await insertBody(nested(15))).toBe('ok');
    expect(await insertBody(nested(16))).toMatch(
      /^Document is nested more than 16 levels deep \(table "blobs", field "body(\.x)+"\)/,
    );
  });

  it('refuses field names starting with $ or _, empty ones and non-ASCII ones, at any depth', async () => {
    // convex/values itself refuses "$" names before the write reaches the store.
    expect(await insertBody({ $bad: 1 })).toContain(
      "Field name $bad starts with a '$', which is reserved.",
    );
    expect(await insertBody({ ok: { _hidden: 1 } })).toContain('field "body.ok._hidden"');
    expect(await insertBody({ '': 1 })).toContain('Invalid field name ""');
    expect(await insertBody({ é: 1 })).toContain(
      'Field names can only contain non-control ASCII characters',
    );
    expect(await insertBody({ fine_name: 1, 'with space': 2 })).toBe('ok');
  });

  it('refuses arrays over 8,192 elements and objects over 1,024 fields', async () => {
    expect(await insertBody(new Array(8192).fill(0))).toBe('ok');
    expect(await insertBody(new Array(8193).fill(0))).toMatch(
      /^Array has 8193 elements, more than the 8192 allowed \(table "blobs", field "body"\)/,
    );
    const wide = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`f${i}`, i]));
    expect(await insertBody(wide)).toMatch(/^Object has 1025 fields, more than the 1024 allowed/);
  });

  it('checks patches too', async () => {
    const t = backend();
    const id = await t.run((ctx) => ctx.db.insert('blobs', { body: 1 }));
    await expect(t.run((ctx) => ctx.db.patch(id, { body: nested(20) }))).rejects.toThrow(
      'Document is nested more than 16 levels deep',
    );
    expect((await t.run((ctx) => ctx.db.get(id)))!.body).toBe(1);
  });
});

describe('documents read, as Convex counts them', () => {
  const items = defineSchema({ items: defineTable({ n: v.number() }) });

  it('counts the documents a filter drops against the per-function read limit (convex-test counts only returned ones)', async () => {
    const t = convexTest({ schema: items, modules, transactionLimits: { documentsRead: 50 } });
    attachIndexedStore(t, items);
    await t.run(async (ctx) => {
      for (let n = 0; n < 60; n++) await ctx.db.insert('items', { n });
    });
    const readLast = (ctx: GenericQueryCtx<GenericDataModel>) =>
      ctx.db
        .query('items')
        .filter((q) => q.eq(q.field('n'), 59))
        .collect();
    await expect(t.run(readLast as never)).rejects.toThrow(
      'Scanned too many documents in a single function execution (limit: 50)',
    );

    const plain = convexTest({ schema: items, modules, transactionLimits: { documentsRead: 50 } });
    await plain.run(async (ctx) => {
      for (let n = 0; n < 60; n++) await ctx.db.insert('items', { n });
    });
    expect(await plain.run(readLast as never)).toHaveLength(1);
  });
});
