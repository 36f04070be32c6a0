/**
 * Bad input and writes that would break a rule, through the Convex path: the
 * same named error (class, field, message) as the Postgres path, and nothing
 * written in either store. Shape errors are caught before anything is sent to
 * Convex; the rest are refused inside the mutation, which Convex rolls back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, AppDeps } from '../../src/app/ports.js';
import { SET_PUBLISH_THRESHOLD, statusForApprovals } from '../../src/app/writes/approvals.js';
import { convexWrites } from '../../src/app/writes/convexPaths.js';
import * as convexRules from '../../convex/writes/rules.js';
import type { EmbeddedConvexTarget } from 'tandem';
import { appDeps, seedExtendedFixture, snapshotTables } from '../../../../test/support/appFixture.js';
import { prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import {
  convexSideFor,
  convexState,
  runOnConvex,
  runOnPostgres,
  type WriteCall,
} from '../../../../test/support/convexWrites.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';

const EDITOR: Actor = { userId: 2, role: 'editor' };
const ADMIN: Actor = { userId: 9, role: 'admin' };
const c = (
  path: Exclude<WriteCall['path'], 'removeApprovalByRank'>,
  actor: Actor,
  input: unknown,
): WriteCall => ({ path, actor, input });

/** [label, call, expected error class and field]. */
const CASES: Array<[string, WriteCall, string, string | undefined]> = [
  [
    'unknown course',
    c('saveStory', EDITOR, { id: 1, course_id: 77, set_id: 1, set_index: 1 }),
    'InvalidInputError',
    'course_id',
  ],
  [
    'unknown image',
    c('saveStory', EDITOR, { id: 1, course_id: 1, set_id: 1, set_index: 1, image: 'nope' }),
    'InvalidInputError',
    'image',
  ],
  ['missing story', c('deleteStory', EDITOR, { id: 77 }), 'NotFoundError', 'id'],
  [
    'import into unknown course',
    c('importStory', EDITOR, { story_id: 1, course_id: 77 }),
    'InvalidInputError',
    'course_id',
  ],
  [
    'approval of a missing story',
    c('toggleApproval', EDITOR, { story_id: 77 }),
    'NotFoundError',
    'story_id',
  ],
  [
    'approval by an unknown user',
    c('toggleApproval', { userId: 12, role: 'editor' }, { story_id: 1 }),
    'UnknownUserError',
    undefined,
  ],
  ['missing approval', c('removeApproval', ADMIN, { id: 77 }), 'NotFoundError', 'id'],
  [
    'batch read of a missing story',
    c('recordStoryDoneBatch', ADMIN, [
      { story_id: 1, user_id: null },
      { story_id: 77, user_id: 1 },
    ]),
    'InvalidInputError',
    '1.story_id',
  ],
  [
    'batch read by an unknown user',
    c('recordStoryDoneBatch', ADMIN, [
      { story_id: 1, user_id: 12 },
      { story_id: 2, user_id: 1 },
    ]),
    'InvalidInputError',
    'user_id',
  ],
  [
    'course short taken',
    c('saveCourse', ADMIN, { learning_language: 4, from_language: 3 }),
    'ConflictError',
    'learning_language',
  ],
  [
    'course of an unknown language',
    c('saveCourse', ADMIN, { learning_language: 1, from_language: 77 }),
    'InvalidInputError',
    'from_language',
  ],
  [
    'language short taken',
    c('saveLanguage', ADMIN, { id: 1, name: 'E', short: 'ar' }),
    'ConflictError',
    'short',
  ],
  [
    'rename makes a course short collide',
    c('saveLanguage', ADMIN, { id: 2, name: 'Arabic', short: 'fr' }),
    'ConflictError',
    'short',
  ],
  // Language 3 is 'dddddddddd' by now (beforeAll), so course 3 would be 21 characters long.
  [
    'rename makes a course short too long',
    c('saveLanguage', ADMIN, { id: 4, name: 'F', short: 'ffffffffff' }),
    'InvalidInputError',
    'short',
  ],
  [
    'missing language',
    c('setLanguageDefaultText', EDITOR, { id: 77, default_text: 'x' }),
    'NotFoundError',
    'id',
  ],
  [
    'avatar speaker of a missing avatar',
    c('setAvatarSpeaker', EDITOR, { avatar_id: 77, language_id: 1 }),
    'InvalidInputError',
    'avatar_id',
  ],
  [
    'localization of a missing language',
    c('saveLocalization', EDITOR, { language_id: 77, tag: 't', text: 'x' }),
    'InvalidInputError',
    'language_id',
  ],
  ['missing avatar', c('saveAvatar', ADMIN, { id: 77, link: 'l' }), 'NotFoundError', 'id'],
  [
    'speaker name taken',
    c('saveSpeaker', ADMIN, {
      language_id: 1,
      speaker: 'voice-0',
      gender: 'MALE',
      type: 'NORMAL',
      service: 's',
    }),
    'ConflictError',
    'speaker',
  ],
  [
    'too long a name (shape)',
    c('saveStory', EDITOR, { id: 1, course_id: 1, set_id: 1, set_index: 1, name: 'x'.repeat(256) }),
    'InvalidInputError',
    'name',
  ],
  [
    'a reader deletes (role)',
    c('deleteStory', { userId: 1, role: 'reader' }, { id: 1 }),
    'ForbiddenError',
    undefined,
  ],
];

describe('Convex write paths refuse as the Postgres paths do', () => {
  let db: TestDatabase;
  let deps: AppDeps;
  let convex: EmbeddedConvexTarget;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    await seedExtendedFixture(db.pool);
    await db.pool.query(`
      INSERT INTO speaker (id, language_id, speaker, gender, type, service) VALUES (1, 1, 'voice-0', 'MALE', 'NORMAL', 'polly');
      SELECT setval(pg_get_serial_sequence('speaker', 'id'), 1);`);
    convex = await convexSideFor(db.pool, 10);
    deps = appDeps(db.pool);
    const longShort = c('saveLanguage', ADMIN, { id: 3, name: 'Deutsch', short: 'dddddddddd' });
    expect(await runOnPostgres(deps, longShort)).toEqual({ ok: true, result: {} });
    expect(await runOnConvex(convex, longShort)).toEqual({ ok: true, result: {} });
  });
  afterAll(() => db?.close());

  it.each(CASES)('%s', async (_label, call, errorClass, field) => {
    const [pgBefore, cxBefore] = [await snapshotTables(db.pool), await convexState(convex)];
    const onPostgres = await runOnPostgres(deps, call);
    expect(onPostgres).toMatchObject({
      ok: false,
      error: { class: errorClass, ...(field ? { field } : {}) },
    });
    expect(await runOnConvex(convex, call)).toEqual(onPostgres);
    expect(await snapshotTables(db.pool)).toEqual(pgBefore);
    expect(await convexState(convex)).toEqual(cxBefore);
  });

  it('bad shapes are refused before anything reaches Convex', async () => {
    const sent: string[] = [];
    const recorder = { mutation: async (path: string) => void sent.push(path) };
    const err = await convexWrites
      .saveCourse({ convex: recorder }, ADMIN, {
        learning_language: 1,
        from_language: 2,
        tags: 'a, ' + 'x'.repeat(21),
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidInputError', field: 'tags' });
    expect(sent).toEqual([]);
  });

  it('the Convex folder and the Postgres path share the status and publication rules', () => {
    for (let n = 0; n <= 6; n++)
      expect(convexRules.statusForApprovals(n)).toBe(statusForApprovals(n));
    expect(convexRules.SET_PUBLISH_THRESHOLD).toBe(SET_PUBLISH_THRESHOLD);
  });
});
