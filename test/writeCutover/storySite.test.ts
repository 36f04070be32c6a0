/**
 * The story site's write groups from what its write paths really do: each
 * path runs once on a captured database, and the tables its transaction
 * wrote (from the outbox) are the ones src/app/writeGroups.ts declares for it
 * (an approval: story_approval, story and course). Groups derived from the
 * outbox alone put the approval's tables in one group, and with the declared
 * groups saved, no transaction crosses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STORY_SITE_MIRRORED_TABLES,
  STORY_SITE_WRITE_PATHS,
  storySiteGroups,
} from '../../examples/story-site/src/app/writeGroups.js';
import * as writes from '../../examples/story-site/src/app/writes/index.js';
import type { AppDeps } from '../../examples/story-site/src/app/ports.js';
import {
  deriveWriteGroups,
  saveWriteGroups,
  scanOutboxTransactions,
  watchCrossings,
  writePathsFromTransactions,
} from '../../src/index.js';
import { admin, appDeps, editor, reader } from '../support/appFixture.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { prepareMirroredDatabase } from '../support/mirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

const RUNS: Array<[string, (d: AppDeps) => Promise<unknown>]> = [
  ['toggleApproval', (d) => writes.toggleApproval(d, editor(2), { story_id: 1 })],
  [
    'saveStory',
    (d) =>
      writes.saveStory(d, editor(2), {
        id: 2,
        course_id: 1,
        set_id: 1,
        set_index: 2,
        todo_count: 4,
      }),
  ],
  ['togglePublished', (d) => writes.togglePublished(d, admin(9), { id: 3 })],
  ['deleteStory', (d) => writes.deleteStory(d, editor(1), { id: 3 })],
  ['importStory', (d) => writes.importStory(d, editor(4), { story_id: 1, course_id: 2 })],
  ['removeApproval', (d) => writes.removeApproval(d, admin(9), { id: 1 })],
  ['recordStoryDone', (d) => writes.recordStoryDone(d, reader(5), { story_id: 1 })],
  [
    'saveLanguage',
    (d) => writes.saveLanguage(d, admin(9), { id: 1, name: 'Englisch', short: 'en' }),
  ],
  [
    'saveCourse',
    (d) =>
      writes.saveCourse(d, admin(9), {
        id: 2,
        learning_language: 3,
        from_language: 1,
        public: true,
      }),
  ],
];

describe.each(backends)('story site write groups [%s]', (backend) => {
  let db: TestDatabase;
  /** The outbox after the fixture's seed, which loads every table in one transaction. */
  let seeded: number;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    seeded = Number(
      (await db.pool.query<{ max: string }>('SELECT max(seq)::text AS max FROM tandem.outbox'))
        .rows[0]!.max,
    );
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it('each write path writes, in one transaction, the tables declared for it; an approval writes story_approval, story and course', async () => {
    const seen: Record<string, string[]> = {};
    for (const [name, run] of RUNS) {
      const { rows } = await db.pool.query<{ max: string | null }>(
        'SELECT max(seq)::text AS max FROM tandem.outbox',
      );
      await run(appDeps(db.pool));
      const after = await db.pool.query<{ tables: string[]; txids: string }>(
        `SELECT array_agg(DISTINCT table_name ORDER BY table_name) AS tables, count(DISTINCT txid)::text AS txids
           FROM tandem.outbox WHERE seq > $1`,
        [rows[0]!.max ?? 0],
      );
      expect([name, after.rows[0]!.txids]).toEqual([name, '1']);
      seen[name] = after.rows[0]!.tables;
    }
    expect(seen).toEqual({
      toggleApproval: ['course', 'story', 'story_approval'],
      saveStory: ['course', 'story'],
      togglePublished: ['course', 'story'],
      deleteStory: ['course', 'story'],
      importStory: ['course', 'story'],
      removeApproval: ['course', 'story', 'story_approval'],
      recordStoryDone: ['story_done'],
      saveLanguage: ['course', 'language'],
      saveCourse: ['course'],
    });
    for (const [name, tables] of Object.entries(seen))
      expect([name, tables]).toEqual([name, [...STORY_SITE_WRITE_PATHS[name]!].sort()]);
  });

  it('groups derived from the outbox put the approval tables together; with the declared groups saved, nothing crosses', async () => {
    const { transactions } = await scanOutboxTransactions(db.pool, DEFAULT_TOOL_SCHEMA, { afterSeq: seeded });
    const derived = deriveWriteGroups({
      tables: STORY_SITE_MIRRORED_TABLES,
      writePaths: writePathsFromTransactions(transactions),
    });
    expect(derived.find((g) => g.tables.includes('story_approval'))!.tables).toEqual([
      'course',
      'language',
      'story',
      'story_approval',
    ]);
    await saveWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA, storySiteGroups, { actor: 'test', why: 'story site groups' });
    // The seed transaction writes every table: it crosses any grouping, and is what a bulk load looks like.
    const seed = await watchCrossings(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(seed.map((c) => c.tables)).toEqual([['avatar', 'course', 'image', 'language', 'story']]);
    await db.pool.query('DELETE FROM tandem.write_crossing');
    // Saved apart, the approval's tables are crossed by its transactions.
    await saveWriteGroups(
      db.pool, DEFAULT_TOOL_SCHEMA,
      [
        ...storySiteGroups.filter((g) => !g.tables.includes('story')),
        { name: 'approvals', tables: ['story_approval'], writePaths: [] },
        { name: 'content', tables: ['course', 'language', 'story'], writePaths: [] },
      ],
      { actor: 'test', why: 'split on purpose' },
    );
    // (The seed transaction is read again too: each scan re-reads a window before its checkpoint.)
    const crossings = (await watchCrossings(db.pool, DEFAULT_TOOL_SCHEMA)).filter((c) => c.groups.includes('approvals'));
    expect(crossings.map((c) => [c.tables, c.groups])).toEqual([
      [
        ['course', 'story', 'story_approval'],
        ['approvals', 'content'],
      ],
      [
        ['course', 'story', 'story_approval'],
        ['approvals', 'content'],
      ],
    ]);
  });
});
