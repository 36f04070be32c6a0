import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MappedChange, TransactionBatch } from '../../src/core/changes.js';
import { EmbeddedConvexTarget } from '../../src/convex/index.js';
import { courseRow, remove, storyDoneRow, storyRow, upsert } from './fixtures.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

type Doc = Record<string, unknown>;

async function docByKey(
  target: EmbeddedConvexTarget,
  table: string,
  key: string,
): Promise<Doc | undefined> {
  return (await target.documents(table)).find((d) => d.pgKey === key);
}

function avatar(id: number, name: string, version: number): MappedChange {
  return upsert('avatar', { id, link: `https://x/${id}.png`, name }, version);
}

describe('applyBatch on the embedded target (convex-test, limits on)', () => {
  it('applies an upsert once: replays and older versions are skipped', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    expect(await target.applyBatch([{ txid: '1', changes: [avatar(1, 'a', 5)] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect(await target.applyBatch([{ txid: '1', changes: [avatar(1, 'a', 5)] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    expect(await target.applyBatch([{ txid: '0', changes: [avatar(1, 'old', 4)] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    const doc = await docByKey(target, 'avatar', '1');
    expect([doc?.name, doc?.pgVersion, doc?.link]).toEqual(['a', 5, 'https://x/1.png']);
  });

  it('a delete leaves a tombstone that blocks an older upsert; a newer upsert re-inserts and removes it', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([{ txid: '1', changes: [avatar(1, 'a', 2), remove('avatar', 1, 5)] }]);
    expect(await target.documents('avatar')).toEqual([]);
    expect(
      (await target.documents('tombstones')).map((t) => [t.table, t.pgKey, t.pgVersion]),
    ).toEqual([['avatar', '1', 5]]);
    expect(await target.applyBatch([{ txid: '2', changes: [avatar(1, 'late', 4)] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    expect(await target.applyBatch([{ txid: '3', changes: [avatar(1, 'back', 7)] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect((await docByKey(target, 'avatar', '1'))?.name).toBe('back');
    expect(await target.documents('tombstones')).toEqual([]);
    // A delete older than the document is stale.
    expect(await target.applyBatch([{ txid: '4', changes: [remove('avatar', 1, 6)] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    expect((await docByKey(target, 'avatar', '1'))?.pgVersion).toBe(7);
  });

  it('writes heavy columns to the companion table and deletes them with the row', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([{ txid: '1', changes: [upsert('story', storyRow(3), 1)] }]);
    const story = await docByKey(target, 'story', '3');
    expect(story && ('text' in story || 'json' in story)).toBe(false);
    const content = await target.documents('story_content');
    expect(content.map((c) => [c.pgKey, c.pgVersion, c.text, c.json])).toEqual([
      [
        '3',
        1,
        'text of 3',
        { '~tandem_keys': ['lines', 'ключ'], '~tandem_values': [['line 3'], 3] },
      ],
    ]);
    await target.applyBatch([{ txid: '2', changes: [remove('story', 3, 2)] }]);
    expect(await target.documents('story')).toEqual([]);
    expect(await target.documents('story_content')).toEqual([]);
  });

  it('fills ref_* of children that arrived before their parent, and clears them when the parent goes', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([
      {
        txid: '1',
        changes: [
          upsert('story_done', storyDoneRow(1, 3), 1),
          upsert('story_done', storyDoneRow(2, 3), 2),
        ],
      },
    ]);
    expect((await target.documents('story_done')).map((d) => d.ref_story_id)).toEqual([
      undefined,
      undefined,
    ]);
    await target.applyBatch([
      { txid: '2', changes: [upsert('story', storyRow(3, { course_id: 9 }), 3)] },
    ]);
    const story = await docByKey(target, 'story', '3');
    expect((await target.documents('story_done')).map((d) => d.ref_story_id)).toEqual([
      story?._id,
      story?._id,
    ]);
    expect(story?.ref_course_id).toBeUndefined();
    await target.applyBatch([{ txid: '3', changes: [upsert('course', courseRow(9), 4)] }]);
    const course = await docByKey(target, 'course', '9');
    expect((await docByKey(target, 'story', '3'))?.ref_course_id).toBe(course?._id);
    // A new child finds its parent at once.
    await target.applyBatch([
      { txid: '4', changes: [upsert('story_done', storyDoneRow(3, 3), 5)] },
    ]);
    expect((await docByKey(target, 'story_done', '3'))?.ref_story_id).toBe(story?._id);
    await target.applyBatch([{ txid: '5', changes: [remove('course', 9, 6)] }]);
    expect((await docByKey(target, 'story', '3'))?.ref_course_id).toBeUndefined();
    expect((await docByKey(target, 'story', '3'))?.course_id).toBe(9);
  });

  it('applies a story and its course in one mutation, and applies nothing when one change fails', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const course = upsert('course', courseRow(1, { count: 1 }), 10);
    const story = upsert('story', storyRow(5, { public: true }), 11);
    const broken: MappedChange = { ...story, key: '6', doc: { ...story.doc, status: 'published' } };
    const failure = await target
      .applyBatch([
        { txid: 'a', changes: [course, story] },
        { txid: 'b', changes: [broken] },
      ])
      .then(
        () => undefined,
        (error: unknown) => error as { data?: Record<string, unknown> },
      );
    expect(failure?.data).toMatchObject({
      kind: 'apply_failed',
      txid: 'b',
      table: 'story',
      key: '6',
      version: 11,
    });
    expect(await target.documents('course')).toEqual([]);
    expect(await target.documents('story')).toEqual([]);
    expect(await target.documents('story_content')).toEqual([]);
    expect(await target.applyBatch([{ txid: 'a', changes: [course, story] }])).toEqual({
      applied: 2,
      skipped: 0,
    });
    expect((await docByKey(target, 'story', '5'))?.ref_course_id).toBe(
      (await docByKey(target, 'course', '1'))?._id,
    );
  });

  it('refuses malformed changes: unknown table, upsert without content for a heavy table', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const story = upsert('story', storyRow(1), 1);
    const cases: Array<[MappedChange, string]> = [
      [{ table: 'users', key: '1', version: 1, op: 'delete' }, 'table users is not mirrored'],
      [{ ...story, content: undefined }, 'upsert of story needs its content columns'],
      [{ ...story, doc: { ...story.doc, pgVersion: 99 } }, 'doc must not set pgVersion'],
    ];
    for (const [change, message] of cases) {
      const error = await target
        .applyBatch([{ txid: 'x', changes: [change] }])
        .catch((e: { data?: { message?: string } }) => e);
      expect((error as { data?: { message?: string } }).data?.message).toBe(message);
    }
  });

  it("enforces Convex's per-mutation write limit (16 MiB) with transactionLimits on", async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const big = 'x'.repeat(900 * 1024);
    const changes = Array.from({ length: 20 }, (_, i) =>
      upsert('story', storyRow(i + 1, { text: big }), i + 1),
    );
    await expect(target.applyBatch([{ txid: '1', changes }])).rejects.toThrow(
      /Wrote too much data/,
    );
    expect(await target.documents('story')).toEqual([]);
    expect(await target.applyBatch([{ txid: '1', changes: changes.slice(0, 10) }])).toEqual({
      applied: 10,
      skipped: 0,
    });
  });
});

interface VersionedOp {
  key: number;
  version: number;
  op: 'upsert' | 'delete';
  name: string;
}

/** Per key, a history of operations with increasing versions (versions unique overall). */
const histories = fc
  .array(
    fc.record({
      key: fc.integer({ min: 1, max: 3 }),
      op: fc.constantFrom('upsert', 'delete'),
      name: fc.string({ maxLength: 4 }),
    }),
    {
      minLength: 1,
      maxLength: 12,
    },
  )
  .map((ops) => ops.map((o, i): VersionedOp => ({ ...o, version: i + 1 }) as VersionedOp));

/** Delivery: every change at least once, some twice, in any order, cut into batches of transactions. */
const deliveries = histories.chain((ops) =>
  fc
    .tuple(
      fc.shuffledSubarray(ops),
      fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }),
    )
    .chain(([dups, all]) =>
      fc.tuple(
        fc.constant(ops),
        fc.shuffledSubarray([...all, ...dups], { minLength: all.length + dups.length }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 30, maxLength: 30 }),
      ),
    ),
);

function toChange(op: VersionedOp): MappedChange {
  return op.op === 'delete'
    ? remove('avatar', op.key, op.version)
    : avatar(op.key, op.name, op.version);
}

function batches(sequence: VersionedOp[], sizes: number[]): TransactionBatch[][] {
  const calls: TransactionBatch[][] = [];
  let i = 0;
  for (let s = 0; i < sequence.length; s++) {
    const take = sizes[s % sizes.length]!;
    const slice = sequence.slice(i, i + take);
    calls.push(slice.map((op) => ({ txid: `t${op.version}`, changes: [toChange(op)] })));
    i += take;
  }
  return calls;
}

describe('versioned apply under duplication and reordering (property)', () => {
  it('ends in the state of applying the changes in version order', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async ([ops, sequence, sizes]) => {
        const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
        let applied = 0;
        for (const call of batches(sequence, sizes))
          applied += (await target.applyBatch(call)).applied;
        const expected = new Map<number, VersionedOp>();
        for (const op of ops) expected.set(op.key, op);
        const docs = await target.documents('avatar');
        const tombstones = await target.documents('tombstones');
        const actualDocs = docs.map((d) => [d.pgKey, d.pgVersion, d.name]).sort();
        const expectedDocs = [...expected.values()]
          .filter((o) => o.op === 'upsert')
          .map((o) => [String(o.key), o.version, o.name])
          .sort();
        expect(actualDocs).toEqual(expectedDocs);
        const expectedTombs = [...expected.values()]
          .filter((o) => o.op === 'delete')
          .map((o) => [String(o.key), o.version])
          .sort();
        expect(tombstones.map((t) => [t.pgKey, t.pgVersion]).sort()).toEqual(expectedTombs);
        expect(applied).toBeLessThanOrEqual(ops.length);
        // A full replay afterwards changes nothing.
        const replay = await target.applyBatch(
          ops.map((op) => ({ txid: 'r', changes: [toChange(op)] })),
        );
        expect(replay).toEqual({ applied: 0, skipped: ops.length });
      }),
      { numRuns: 60 },
    );
  });
});

describe('an upsert whose document is not a mapped row', () => {
  // Found by mutation testing (docs/testing.md): only pgKey was ever refused, so
  // dropping the other reserved names from the check went unseen.
  it('is refused, naming the reserved field, and nothing is applied', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const base = avatar(1, 'a', 1);
    const cases: Array<[MappedChange, string]> = [
      ...['pgKey', 'pgVersion', '_id', '_creationTime', 'ref_link'].map(
        (field): [MappedChange, string] => [{ ...base, doc: { ...base.doc, [field]: 1 } }, `doc must not set ${field}`],
      ),
      [{ ...base, doc: undefined }, 'upsert without doc'],
    ];
    for (const [change, message] of cases) {
      const error = await target
        .applyBatch([{ txid: 'x', changes: [avatar(2, 'b', 1), change] }])
        .catch((e: { data?: { kind?: string; message?: string } }) => e);
      expect((error as { data?: unknown }).data).toMatchObject({ kind: 'apply_failed', key: '1', message });
    }
    expect(await target.documents('avatar')).toEqual([]);
  });
});
