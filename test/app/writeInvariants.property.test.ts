/**
 * Property: whatever sequence of write paths runs — one after another, or
 * several at once on real PostgreSQL — every invariant of DOMAIN.md holds after.
 * Refused writes (unknown ids, conflicts) are part of the mix on purpose.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import type { Actor, AppDeps } from '../../src/app/ports.js';
import { TransactionRunner } from '../../src/app/transactionRunner.js';
import { StaticUserDirectory } from '../../src/app/userDirectory.js';
import * as writes from '../../src/app/writes/index.js';
import { TandemError } from '../../src/core/errors.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { USER_NAMES, seedFixture } from '../support/appFixture.js';

type Action = (deps: AppDeps) => Promise<unknown>;

const user = fc.integer({ min: 1, max: 5 });
const storyId = fc.integer({ min: 1, max: 9 });
const courseId = fc.integer({ min: 1, max: 3 });
const languageId = fc.integer({ min: 1, max: 4 });
const editorOf = (id: number): Actor => ({ userId: id, role: 'editor' });
const ADMIN: Actor = { userId: 9, role: 'admin' };

const action: fc.Arbitrary<[string, Action]> = fc.oneof(
  fc.tuple(user, storyId).map(([u, s]): [string, Action] => [
    `toggleApproval(${u},${s})`,
    (d) => writes.toggleApproval(d, editorOf(u), { story_id: s }),
  ]),
  fc.integer({ min: 1, max: 30 }).map((a): [string, Action] => [
    `removeApproval(${a})`,
    (d) => writes.removeApproval(d, ADMIN, { id: a }),
  ]),
  storyId.map((s): [string, Action] => [`togglePublished(${s})`, (d) => writes.togglePublished(d, ADMIN, { id: s })]),
  storyId.map((s): [string, Action] => [`deleteStory(${s})`, (d) => writes.deleteStory(d, editorOf(1), { id: s })]),
  fc
    .tuple(storyId, courseId, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 5 }))
    .map(([s, c, set, todo]): [string, Action] => [
      `saveStory(${s},c${c},set${set},todo${todo})`,
      (d) => writes.saveStory(d, editorOf(2), { id: s, course_id: c, set_id: set, set_index: s, todo_count: todo }),
    ]),
  fc.tuple(fc.integer({ min: 1, max: 4 }), courseId).map(([n, c]): [string, Action] => [
    `saveStoryByDuo(new-${n},c${c})`,
    (d) => writes.saveStory(d, editorOf(3), { duo_id: `new-${n}`, course_id: c, set_id: 2, set_index: n, todo_count: n }),
  ]),
  fc.tuple(storyId, courseId).map(([s, c]): [string, Action] => [
    `importStory(${s},c${c})`,
    (d) => writes.importStory(d, editorOf(4), { story_id: s, course_id: c }),
  ]),
  fc.tuple(storyId, fc.option(user)).map(([s, u]): [string, Action] => [
    `recordStoryDone(${s},${u})`,
    (d) => writes.recordStoryDone(d, u === null ? { userId: null, role: 'anonymous' } : { userId: u, role: 'reader' }, { story_id: s }),
  ]),
  fc.tuple(courseId, languageId, languageId).map(([c, l, f]): [string, Action] => [
    `saveCourse(${c},${l},${f})`,
    (d) => writes.saveCourse(d, ADMIN, { id: c, learning_language: l, from_language: f, public: true }),
  ]),
  fc.tuple(languageId, fc.constantFrom('Alpha', 'Βήτα', 'גימל'), fc.constantFrom('aa', 'bb', 'cc', 'dd')).map(
    ([l, name, short]): [string, Action] => [
      `saveLanguage(${l},${name},${short})`,
      (d) => writes.saveLanguage(d, ADMIN, { id: l, name, short }),
    ],
  ),
);

const backends = await availableBackends();

describe.each(backends)('random write sequences keep every invariant [%s]', (backend) => {
  let db: TestDatabase;
  let deps: AppDeps;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    deps = { pool: db.pool, runner: new TransactionRunner(db.pool), users: new StaticUserDirectory(USER_NAMES) };
  });
  afterAll(() => db?.close());

  async function reset(): Promise<void> {
    await seedFixture(db.pool);
    await db.pool.query(`
      INSERT INTO language (id, name, short) VALUES (4, 'Français', 'fr');
      INSERT INTO course (id, short, learning_language, from_language, name, learning_language_name, from_language_name, count, todo_count)
        VALUES (3, 'fr-de', 4, 3, 'French', 'Français', 'Deutsch', 0, 0);
      INSERT INTO story (id, duo_id, set_id, set_index, course_id, todo_count)
        SELECT g, 'duo-' || g, 1, g - 5, 2, 1 FROM generate_series(6, 9) g;
      UPDATE course SET todo_count = 4 WHERE id = 2;
      SELECT setval(pg_get_serial_sequence('language', 'id'), 4);
      SELECT setval(pg_get_serial_sequence('course', 'id'), 3);
      SELECT setval(pg_get_serial_sequence('story', 'id'), 9);`);
    expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
  }

  /** Runs an action; a refused write (a named Tandem error) is a legitimate outcome. */
  async function attempt([, run]: [string, Action]): Promise<void> {
    try {
      await run(deps);
    } catch (err) {
      if (!(err instanceof TandemError)) throw err;
    }
  }

  it('sequentially', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
        await reset();
        for (const a of actions) await attempt(a);
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('concurrently, several writers at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: 2, maxLength: 5 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
        await reset();
        for (const round of rounds) await Promise.all(round.map(attempt));
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: backend === 'postgres' ? 25 : 8 },
    );
  });
});
