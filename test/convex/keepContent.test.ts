/**
 * Updates that left a story's heavy columns unchanged arrive without them
 * (`keepContent`): the companion document is kept, and when changes arrive out
 * of order an older content-carrying change still fills in missing content.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedChange, MappedChange } from '../../src/core/changes.js';
import { EmbeddedConvexTarget } from '../../src/convex/index.js';
import { mapChange } from '../../src/mapping/index.js';
import { remove, storyRow, upsert } from './fixtures.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

/** An update whose image the trigger left text and json out of. */
function keepContent(id: number, name: string, version: number): MappedChange {
  const { text: _text, json: _json, ...row } = storyRow(id, { name });
  const captured: CapturedChange = {
    seq: version,
    txid: `tx${version}`,
    table: 'story',
    key: String(id),
    op: 'update',
    row,
    unchanged: ['text', 'json'],
    operationKey: null,
  };
  return mapChange(captured, STORY_SITE_TABLES);
}

function withText(id: number, name: string, text: string, version: number): MappedChange {
  return upsert('story', storyRow(id, { name, text }), version);
}

async function state(target: EmbeddedConvexTarget) {
  const docs = await target.documents('story');
  const content = await target.documents('story_content');
  return {
    docs: docs.map((d) => [d.pgKey, d.pgVersion, d.name]).sort(),
    content: content.map((c) => [c.pgKey, c.pgVersion, c.text]).sort(),
  };
}

describe('companion content kept by updates that did not change it', () => {
  it('maps to an upsert without content that keeps the companion document', async () => {
    const change = keepContent(3, 'renamed', 2);
    expect(change).toMatchObject({ op: 'upsert', keepContent: true });
    expect(change.content).toBeUndefined();
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([{ txid: '1', changes: [withText(3, 'first', 'body', 1)] }]);
    expect(await target.applyBatch([{ txid: '2', changes: [change] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect(await state(target)).toEqual({
      docs: [['3', 2, 'renamed']],
      content: [['3', 1, 'body']],
    });
  });

  it('out of order: content missing until the older insert arrives, which then fills it in once', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([{ txid: '2', changes: [keepContent(3, 'renamed', 2)] }]);
    expect(await state(target)).toEqual({ docs: [['3', 2, 'renamed']], content: [] });
    const late = withText(3, 'first', 'body', 1);
    expect(await target.applyBatch([{ txid: '1', changes: [late] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect(await target.applyBatch([{ txid: '1', changes: [late] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    expect(await state(target)).toEqual({
      docs: [['3', 2, 'renamed']],
      content: [['3', 1, 'body']],
    });
  });

  it('a late change never replaces newer content, nor brings content back after a delete', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await target.applyBatch([
      { txid: '1', changes: [withText(3, 'a', 'old', 1), withText(3, 'b', 'new', 2)] },
      { txid: '3', changes: [withText(4, 'c', 'gone', 3), remove('story', 4, 4)] },
    ]);
    const late = [withText(3, 'a', 'old', 1), withText(4, 'c', 'gone', 3), keepContent(4, 'c', 3)];
    expect(await target.applyBatch([{ txid: 'late', changes: late }])).toEqual({
      applied: 0,
      skipped: 3,
    });
    expect(await state(target)).toEqual({ docs: [['3', 2, 'b']], content: [['3', 2, 'new']] });
  });

  it('refuses an upsert that both carries and keeps content, or keeps content of a table without any', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const story = withText(1, 'x', 'y', 1);
    const avatar = upsert('avatar', { id: 1, link: 'https://x/1.png', name: 'a' }, 1);
    const cases: Array<[MappedChange, string]> = [
      [{ ...story, keepContent: true }, 'an upsert either carries content or keeps it, not both'],
      [{ ...avatar, keepContent: true }, 'avatar has no content table'],
    ];
    for (const [change, message] of cases) {
      const error = await target
        .applyBatch([{ txid: 'x', changes: [change] }])
        .catch((e: { data?: { message?: string } }) => e);
      expect((error as { data?: { message?: string } }).data?.message).toBe(message);
    }
  });
});

type StoryOp =
  | { kind: 'insert'; text: string; name: string }
  | { kind: 'update'; text: string | null; name: string }
  | { kind: 'delete' };

/** A history of one story as Postgres would capture it: text null = the update left it unchanged. */
const histories = fc
  .array(
    fc.oneof(
      fc.record({
        kind: fc.constant('update' as const),
        text: fc.option(fc.constantFrom('t1', 't2', 't3')),
        name: fc.constantFrom('a', 'b', 'c'),
      }),
      fc.constant({ kind: 'delete' as const }),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((steps) => {
    // Start with an insert, and re-insert after every delete: an update needs a live row.
    const ops: StoryOp[] = [{ kind: 'insert', text: 't0', name: 'first' }];
    for (const step of steps) {
      const live = ops.at(-1)!.kind !== 'delete';
      if (step.kind === 'delete')
        ops.push(live ? step : { kind: 'insert', text: 'tx', name: 'again' });
      else ops.push(live ? step : { kind: 'insert', text: step.text ?? 'tr', name: step.name });
    }
    return ops;
  });

function toChange(op: StoryOp, version: number): MappedChange {
  if (op.kind === 'delete') return remove('story', 7, version);
  if (op.kind === 'update' && op.text === null) return keepContent(7, op.name, version);
  return withText(7, op.name, op.text!, version);
}

/** The story's document and companion content as the target holds them before a delivery. */
async function current(target: EmbeddedConvexTarget) {
  const [doc] = await target.documents('story');
  const [content] = await target.documents('story_content');
  return { doc: doc as { pgVersion: number } | undefined, content: content as { pgVersion: number } | undefined };
}

describe('companion content under duplication and reordering (property)', () => {
  it('applies exactly the changes newer than what it holds, and ends with the newest document and content', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Every change delivered at least once, some twice, in any order: the last
        // delivery is not always the newest change.
        histories.chain((ops) =>
          fc
            .array(fc.nat({ max: ops.length - 1 }), { maxLength: ops.length })
            .chain((again) => {
              const all = [...ops.keys(), ...again];
              return fc.tuple(fc.constant(ops), fc.shuffledSubarray(all, { minLength: all.length }));
            }),
        ),
        async ([ops, delivered]) => {
          const changes = ops.map((op, i) => toChange(op, i + 1));
          const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
          let newest = 0;
          for (const i of delivered) {
            const change = changes[i]!;
            const before = await current(target);
            // Newer than every change delivered so far: applied. Otherwise only an
            // upsert carrying content can still apply, filling in missing or older
            // content of an existing document (see convex-kit/tandem/apply.ts).
            const applies =
              change.version > newest ||
              (change.op === 'upsert' &&
                change.content !== undefined &&
                before.doc !== undefined &&
                (before.content === undefined || before.content.pgVersion < change.version));
            expect(await target.applyBatch([{ txid: `t${i}`, changes: [change] }])).toEqual(
              applies ? { applied: 1, skipped: 0 } : { applied: 0, skipped: 1 },
            );
            newest = Math.max(newest, change.version);
          }
          const last = ops.at(-1)!;
          const lastContent = ops.reduce<[number, string] | null>(
            (found, op, i) => (op.kind !== 'delete' && op.text !== null ? [i + 1, op.text] : found),
            null,
          );
          const end =
            last.kind === 'delete'
              ? { docs: [], content: [] }
              : {
                  docs: [['7', ops.length, last.name]],
                  content: [['7', lastContent![0], lastContent![1]]],
                };
          expect(await state(target)).toEqual(end);
          // Once everything has arrived, a replay of every change applies nothing.
          expect(await target.applyBatch([{ txid: 'replay', changes }])).toEqual({
            applied: 0,
            skipped: changes.length,
          });
          expect(await state(target)).toEqual(end);
        },
      ),
      { numRuns: 60 },
    );
  });
});
