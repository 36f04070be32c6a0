/**
 * The story site's read paths served from Convex give what the Postgres reads
 * give for the same data: the hand-written read fixture (every edge case named
 * there), generated sample data, and random sequences of the app's own write
 * paths, each mirrored through capture → relay → apply into an embedded Convex
 * (convex-test, limits on). Missing ids, empty courses, non-public courses,
 * deleted stories, the name fallback and ordering ties are among the calls.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvexReadPaths } from '../../src/app/reads/convex.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import type { AppDeps } from '../../src/app/ports.js';
import { generateSample } from '../../src/app/sample/generateSample.js';
import {
  createLocalConvex,
  type EmbeddedConvexTarget,
  HttpConvexTarget,
  type LocalConvex,
  silentLogger,
} from 'tandem';
import { insertReadFixture } from '../api/fixture.js';
import { appDeps, seedExtendedFixture } from '../../../../test/support/appFixture.js';
import {
  expectSameReads,
  mirrorIntoEmbedded,
  prepareCapturedSchema,
  readCallsFor,
  readPathsOver,
} from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { makeRelay } from '../../../../test/support/mirror.js';
import { action, attempt } from '../../../../test/support/writeActions.js';
import { STORY_SITE_CONVEX_DIR } from '../../src/storySiteRoot.js';

const backends = await availableBackends();

/** Extra rows for the read fixture: ties, a course with no story, a story without a course, sub-millisecond times. */
const FIXTURE_EDGES = `
  INSERT INTO course (id, short, learning_language, from_language, public, official, name, learning_language_name,
                      from_language_name, count, todo_count)
    VALUES (5, 'en-es', 1, 2, true, false, 'Español', 'English', NULL, 0, 0),
           (6, 'xx-en', NULL, 1, true, false, 'Deutsch', NULL, 'English', 0, 0);
  INSERT INTO story (id, duo_id, name, set_id, set_index, public, course_id, date_published, status, todo_count)
    VALUES (8, 'd8', 'Tie A', 1, 1, true, 1, '2024-03-05T10:00:00.123456Z', 'draft', 0),
           (9, NULL, NULL, 1, 1, NULL, NULL, NULL, NULL, 0);
  INSERT INTO story_done (id, user_id, story_id, time) VALUES
    (9, 1, 8, '2024-03-06T10:00:00.987654Z'), (10, 1, 8, NULL), (11, 2, 9, '2024-03-06T00:00:00Z'),
    (12, 3, 2, NULL);
  INSERT INTO story_approval (id, story_id, user_id, date) VALUES (5, 8, 1, now()), (6, 8, 3, now());
  INSERT INTO localization (id, language_id, tag, text) VALUES (4, 1, 'Zebra', 'Z'), (5, 1, 'x😀', 'E'), (6, 1, 'xﬀ', 'F');
  INSERT INTO avatar_mapping (id, avatar_id, language_id, name, speaker) VALUES (13, 2, 2, NULL, NULL);`;

describe.each(backends)('Convex reads equal Postgres reads on the read fixture [%s]', (backend) => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCapturedSchema(db.pool);
    await insertReadFixture(db.pool);
    await db.pool.query(FIXTURE_EDGES);
    target = await mirrorIntoEmbedded(db.pool);
  });
  afterAll(() => db?.close());

  it('every read path, every id (and missing ones), every month', async () => {
    const { postgres, convex } = readPathsOver(db.pool, target);
    const calls = await readCallsFor(db.pool);
    expect(calls.length).toBeGreaterThan(60);
    await expectSameReads(postgres, convex, calls);
  });

  it('the edge cases are what the fixture says they are, in Convex too', async () => {
    const convex = new ConvexReadPaths(target);
    // Ties: "English" from-language courses by display name (code point order), then id; NULL from-language last.
    expect((await convex.publicCourses()).courses.map((c) => [c.id, c.name])).toEqual([
      [3, 'English for Germans'],
      [2, 'Deutsch'],
      [6, 'Deutsch'],
      [1, 'Español'],
      [5, 'Español'],
    ]);
    // Same set and index: by id. Deleted (3) and NULL-public stories are not on the page.
    expect((await convex.courseStories('es-en')).stories.map((s) => s.id)).toEqual([2, 8, 1, 5]);
    // Microseconds are dropped as node-postgres drops them; the story's JSON comes back decoded.
    expect((await convex.courseStories('es-en')).stories[1]!.date_published).toBe('2024-03-05T10:00:00.123Z');
    expect(await convex.storyById(1)).toMatchObject({ json: { lines: [{ t: 'Hola' }] }, text: '> Hola' });
    await expect(convex.storyById(3)).rejects.toMatchObject({ entity: 'story', key: 3, field: 'id' });
    expect(await convex.storyById(9)).toMatchObject({ course_id: null, learning_language: null, public: null });
    // Latest non-null time per story; NULL only when every time is NULL.
    expect(await convex.userDoneStories(1, 1)).toEqual([
      { story_id: 1, time: '2024-03-31T23:59:59.999Z' },
      { story_id: 2, time: '2024-04-01T00:00:00.000Z' },
      { story_id: 3, time: '2024-03-05T00:00:00.000Z' },
      { story_id: 8, time: '2024-03-06T10:00:00.987Z' },
    ]);
    expect(await convex.userDoneStories(3, 1)).toEqual([{ story_id: 2, time: null }]);
    // Code point order ("C"): U+FB00 before U+1F600, although UTF-16 puts the surrogate 0xD83D first.
    expect(Object.keys(await convex.localization(1))).toEqual(['Zebra', 'bye', 'hello', 'xﬀ', 'x😀']);
    expect((await convex.editorCourse(1)).stories.find((s) => s.id === 8)).toMatchObject({ approvals: 2 });
    expect((await convex.editorCourse(6)).stories).toEqual([]);
  });
});

describe('Convex reads equal Postgres reads on generated sample data [pglite]', () => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    await generateSample(db.pool, { scale: 0.01, seed: 7, referenceDate: new Date('2025-06-01T00:00:00Z') });
    // Soft-delete and unpublish a few, so the filters have something to filter.
    await db.pool.query(`UPDATE story SET deleted = true, public = false WHERE id % 7 = 0`);
    await db.pool.query(`UPDATE story SET public = NULL WHERE id % 11 = 0`);
    await db.pool.query(`UPDATE course SET public = false WHERE id = 2`);
    target = await mirrorIntoEmbedded(db.pool);
  }, 300_000);
  afterAll(() => db?.close());

  it('every read path, every id, user and month', async () => {
    const { postgres, convex } = readPathsOver(db.pool, target);
    const calls = await readCallsFor(db.pool);
    expect(calls.length).toBeGreaterThan(120);
    await expectSameReads(postgres, convex, calls);
    // The data has what the comparison is about.
    const stats = await postgres.monthlyStats(2024, 6);
    expect(stats.totals.read).toBeGreaterThan(0);
  }, 120_000);
});

describe('Convex reads equal Postgres reads after random write sequences [pglite]', () => {
  let db: TestDatabase;
  let deps: AppDeps;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    deps = appDeps(db.pool);
  });
  afterAll(() => db?.close());

  it('through the app write paths, mirrored by the relay', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 20 }), async (actions) => {
        await db.pool.query('TRUNCATE tandem.outbox');
        await seedExtendedFixture(db.pool);
        for (const a of actions) await attempt(a, deps);
        const target = await mirrorIntoEmbedded(db.pool);
        const { postgres, convex } = readPathsOver(db.pool, target);
        await expectSameReads(postgres, convex, await readCallsFor(db.pool));
      }),
      { numRuns: 12 },
    );
  }, 300_000);
});


describe('Convex reads over the HTTP target (local stand-in) [pglite]', () => {
  let db: TestDatabase;
  let server: LocalConvex;
  let http: HttpConvexTarget;
  const adminKey = 'tandem-local|reads-test-key';

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    await insertReadFixture(db.pool);
    await db.pool.query(FIXTURE_EDGES);
    server = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR,
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-reads-local-')),
      adminKey,
      logger: silentLogger,
    });
    http = new HttpConvexTarget({ url: await server.listen(0, '127.0.0.1'), adminKey });
    await makeRelay(db.pool, http).drain();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await db?.close();
  });

  it('gives what Postgres gives', async () => {
    await expectSameReads(new PostgresReadPaths(db.pool), new ConvexReadPaths(http), await readCallsFor(db.pool));
  });
});
