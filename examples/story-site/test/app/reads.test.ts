import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import type { ReadPaths } from '../../src/app/reads/types.js';
import { createAppSchema } from '../../src/app/schema.js';
import { InvalidInputError, NotFoundError } from 'tandem';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { insertReadFixture } from '../api/fixture.js';

const backends = await availableBackends();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.each(backends)('Postgres read paths [%s]', (backend) => {
  let db: TestDatabase;
  let reads: ReadPaths;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await insertReadFixture(db.pool);
    reads = new PostgresReadPaths(db.pool);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('lists public courses ordered by from-language then display name, with the name fallback and totals', async () => {
    const list = await reads.publicCourses();
    expect(list.courses.map((c) => [c.id, c.name])).toEqual([
      [3, 'English for Germans'],
      [2, 'Deutsch'],
      [1, 'Español'],
    ]);
    expect(list.courses[2]).toEqual({
      id: 1,
      short: 'es-en',
      name: 'Español',
      learning_language: 2,
      from_language: 1,
      learning_language_name: 'Español',
      from_language_name: 'English',
      official: true,
      conlang: false,
      tags: ['beginner', 'official'],
      about: 'Learn Spanish',
      count: 3,
    });
    expect(list.courses[1]).toMatchObject({
      name: 'Deutsch',
      conlang: null,
      tags: null,
      about: null,
    });
    // Public non-deleted stories of public courses: 1, 2, 5 (deleted NULL) in es-en and 6 in de-en.
    expect(list.totals).toEqual({ courses: 3, stories: 4 });
  });

  it('lists a course page: public, non-deleted stories by set and index, without heavy columns', async () => {
    const page = await reads.courseStories('es-en');
    expect(page.course).toEqual({
      id: 1,
      short: 'es-en',
      name: 'Español',
      learning_language: 2,
      from_language: 1,
      learning_language_name: 'Español',
      from_language_name: 'English',
      official: true,
      conlang: false,
      tags: ['beginner', 'official'],
      about: 'Learn Spanish',
      count: 3,
      public: true,
      contributors: ['u1'],
      contributors_past: ['u3'],
    });
    expect(page.stories).toEqual([
      {
        id: 2,
        name: 'Two',
        set_id: 1,
        set_index: 1,
        image: null,
        date_published: '2024-04-01T00:00:00.000Z',
        duo_id: 'd2',
      },
      {
        id: 1,
        name: 'One',
        set_id: 1,
        set_index: 2,
        image: 'img1',
        date_published: '2024-03-31T23:59:59.999Z',
        duo_id: 'd1',
      },
      {
        id: 5,
        name: 'NullFlags',
        set_id: 2,
        set_index: 0,
        image: null,
        date_published: '2024-03-01T00:00:00.000Z',
        duo_id: 'd5',
      },
    ]);
    expect((await reads.courseStories('ar-en')).stories.map((s) => s.id)).toEqual([7]);
  });

  it('refuses an unknown or malformed course short', async () => {
    const missing = await rejection(reads.courseStories('xx-yy'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ entity: 'course', key: 'xx-yy', field: 'short' });
    expect(await rejection(reads.courseStories(''))).toMatchObject({ field: 'short' });
  });

  it('reads a story with text, json and its course languages; deleted stories are not found', async () => {
    expect(await reads.storyById(1)).toEqual({
      id: 1,
      duo_id: 'd1',
      name: 'One',
      set_id: 1,
      set_index: 2,
      author: 1,
      author_change: 2,
      date: '2024-01-01T00:00:00.000Z',
      change_date: '2024-01-02T00:00:00.000Z',
      date_published: '2024-03-31T23:59:59.999Z',
      text: '> Hola',
      public: true,
      image: 'img1',
      course_id: 1,
      json: { lines: [{ t: 'Hola' }] },
      status: 'finished',
      deleted: false,
      todo_count: 2,
      learning_language: 2,
      from_language: 1,
    });
    expect(await reads.storyById(4)).toMatchObject({
      id: 4,
      public: false,
      status: 'feedback',
      json: null,
    });
    expect(await reads.storyById(5)).toMatchObject({ id: 5, deleted: null, change_date: null });
    expect(await rejection(reads.storyById(3))).toMatchObject({ entity: 'story', key: 3 });
    expect(await rejection(reads.storyById(999))).toBeInstanceOf(NotFoundError);
    expect(await rejection(reads.storyById(0))).toBeInstanceOf(InvalidInputError);
  });

  it("lists a user's distinct done stories in a course with the latest time", async () => {
    expect(await reads.userDoneStories(1, 1)).toEqual([
      { story_id: 1, time: '2024-03-31T23:59:59.999Z' },
      { story_id: 2, time: '2024-04-01T00:00:00.000Z' },
      { story_id: 3, time: '2024-03-05T00:00:00.000Z' },
    ]);
    expect(await reads.userDoneStories(2, 2)).toEqual([
      { story_id: 6, time: '2024-02-29T23:59:59.999Z' },
    ]);
    expect(await reads.userDoneStories(3, 1)).toEqual([]);
    expect(await rejection(reads.userDoneStories(1.5, 1))).toMatchObject({ field: 'userId' });
  });

  it('lists every course for editors', async () => {
    const courses = await reads.editorCourses();
    expect(courses.map((c) => c.id)).toEqual([3, 2, 1, 4]);
    expect(courses[3]).toEqual({
      id: 4,
      short: 'ar-en',
      name: 'العربية',
      learning_language: 4,
      from_language: 1,
      learning_language_name: 'العربية',
      from_language_name: 'English',
      public: false,
      official: false,
      count: 1,
      todo_count: 2,
    });
  });

  it('shows an editor course with every non-deleted story and its approval count', async () => {
    const view = await reads.editorCourse(1);
    expect(view.course).toMatchObject({ id: 1, todo_count: 5, public: true, name: 'Español' });
    expect(view.stories).toEqual([
      {
        id: 2,
        duo_id: 'd2',
        name: 'Two',
        image: null,
        set_id: 1,
        set_index: 1,
        status: 'finished',
        public: true,
        approvals: 0,
        todo_count: 0,
        author_change: null,
        change_date: '2024-01-01T00:00:00.000Z',
      },
      {
        id: 1,
        duo_id: 'd1',
        name: 'One',
        image: 'img1',
        set_id: 1,
        set_index: 2,
        status: 'finished',
        public: true,
        approvals: 2,
        todo_count: 2,
        author_change: 2,
        change_date: '2024-01-02T00:00:00.000Z',
      },
      {
        id: 4,
        duo_id: 'd4',
        name: 'Draft',
        image: null,
        set_id: 1,
        set_index: 3,
        status: 'feedback',
        public: false,
        approvals: 1,
        todo_count: 3,
        author_change: 2,
        change_date: '2024-02-05T12:30:00.000Z',
      },
      {
        id: 5,
        duo_id: 'd5',
        name: 'NullFlags',
        image: null,
        set_id: 2,
        set_index: 0,
        status: 'draft',
        public: true,
        approvals: 0,
        todo_count: 0,
        author_change: null,
        change_date: null,
      },
    ]);
    expect(await rejection(reads.editorCourse(77))).toMatchObject({
      entity: 'course',
      key: 77,
      field: 'id',
    });
  });

  it('computes monthly stats with UTC month boundaries', async () => {
    expect(await reads.monthlyStats(2024, 3)).toEqual({
      year: 2024,
      month: 3,
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-04-01T00:00:00.000Z',
      courses: [
        // Published: story 5 (first instant) and story 1 (last ms); story 3 is deleted.
        // Read: rows 1, 2, 4 and 7 (story 3's row counts: reads are history).
        { course_id: 1, short: 'es-en', published: 2, read: 4, active_users: 2, stories_read: 2 },
        // Rows 5 (anonymous) and 8; row 6 is at the last ms of February.
        { course_id: 2, short: 'de-en', published: 0, read: 2, active_users: 1, stories_read: 1 },
        { course_id: 4, short: 'ar-en', published: 1, read: 0, active_users: 0, stories_read: 0 },
      ],
      totals: { published: 3, read: 6, active_users: 3, stories_read: 3 },
    });
    expect(await reads.monthlyStats(2024, 4)).toMatchObject({
      courses: [
        { course_id: 1, short: 'es-en', published: 1, read: 1, active_users: 1, stories_read: 1 },
      ],
      totals: { published: 1, read: 1, active_users: 1, stories_read: 1 },
    });
    expect((await reads.monthlyStats(2024, 2)).courses).toEqual([
      { course_id: 2, short: 'de-en', published: 1, read: 1, active_users: 1, stories_read: 1 },
    ]);
    expect(await reads.monthlyStats(2023, 12)).toEqual({
      year: 2023,
      month: 12,
      from: '2023-12-01T00:00:00.000Z',
      to: '2024-01-01T00:00:00.000Z',
      courses: [],
      totals: { published: 0, read: 0, active_users: 0, stories_read: 0 },
    });
  });

  it('refuses a bad year or month naming the field', async () => {
    expect(await rejection(reads.monthlyStats(2024, 13))).toMatchObject({ field: 'month' });
    expect(await rejection(reads.monthlyStats(2024, 0))).toMatchObject({ field: 'month' });
    expect(await rejection(reads.monthlyStats(2024.5, 1))).toMatchObject({ field: 'year' });
    expect(await rejection(reads.monthlyStats(1969, 1))).toBeInstanceOf(InvalidInputError);
  });

  it('reads lookups: localization, language, image, avatar mappings', async () => {
    expect(await reads.localization(1)).toEqual({ bye: 'Bye', hello: 'Hello' });
    expect(Object.keys(await reads.localization(1))).toEqual(['bye', 'hello']);
    expect(await reads.localization(3)).toEqual({});
    expect(await rejection(reads.localization(99))).toMatchObject({
      entity: 'language',
      field: 'languageId',
    });

    expect(await reads.languageById(1)).toEqual({
      id: 1,
      name: 'English',
      short: 'en',
      flag: 1.5,
      flag_file: 'en.svg',
      speaker: 'en-US-Ava',
      default_text: 'Hello',
      tts_replace: null,
      public: true,
      rtl: false,
    });
    expect(await reads.languageById(4)).toMatchObject({ name: 'العربية', rtl: true });
    expect(await rejection(reads.languageById(99))).toBeInstanceOf(NotFoundError);

    expect(await reads.imageById('img1')).toEqual({
      id: 'img1',
      active: 'a.svg',
      gilded: 'g.svg',
      locked: 'l.svg',
      active_lip: 'ff0000',
      gilded_lip: '00ff00',
    });
    expect(await rejection(reads.imageById('nope'))).toMatchObject({
      entity: 'image',
      key: 'nope',
    });

    expect(await reads.avatarMappings(1)).toEqual([
      {
        id: 11,
        avatar_id: 1,
        language_id: 1,
        name: null,
        speaker: null,
        link: 'link1',
        avatar_name: 'Anna',
      },
      {
        id: 10,
        avatar_id: 2,
        language_id: 1,
        name: 'B',
        speaker: 'sp2',
        link: 'link2',
        avatar_name: null,
      },
    ]);
    expect(await reads.avatarMappings(3)).toEqual([]);
    expect(await rejection(reads.avatarMappings(99))).toBeInstanceOf(NotFoundError);
  });
});
