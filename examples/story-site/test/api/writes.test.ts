/**
 * Every write route's happy path through HTTP, run in order against one
 * fixture database; each step checks the answer and what the read routes show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../../../../test/support/db.js';
import { startApi, type ApiHarness } from './harness.js';

const backends = await availableBackends();

const SQL_TEXT = "'; DROP TABLE story; --";
const SQL_NAME = "Robert'); DROP TABLE story;--";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(backends)('API write routes [%s]', (backend) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi(backend);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('PUT /api/stories/:id saves content verbatim, SQL-looking text included', async () => {
    const body = {
      duo_id: 'd1',
      name: SQL_NAME,
      set_id: 1,
      set_index: 2,
      course_id: 1,
      text: SQL_TEXT,
      json: { a: [1, { b: null }], q: "x' OR 1=1 --" },
      todo_count: 4,
    };
    expect(await api.call('editor', 'PUT', '/api/stories/1', body)).toEqual({
      status: 200,
      body: { id: 1, created: false },
    });
    const story = await api.call('anonymous', 'GET', '/api/stories/1');
    expect(story.body).toMatchObject({
      name: SQL_NAME,
      text: SQL_TEXT,
      json: body.json,
      author_change: 1,
      todo_count: 4,
    });
    const view = await api.call('editor', 'GET', '/api/editor/courses/1');
    expect((view.body as { course: { todo_count: number } }).course.todo_count).toBe(4 + 0 + 3 + 0);
    expect((await api.db.pool.query('SELECT count(*)::int AS n FROM story')).rows[0]).toEqual({
      n: 7,
    });
  });

  it('PUT /api/stories creates by (duo_id, course_id), then finds the same story', async () => {
    const body = { duo_id: 'new1', name: 'New', set_id: 3, set_index: 1, course_id: 2 };
    expect(await api.call('editor', 'PUT', '/api/stories', body)).toEqual({
      status: 201,
      body: { id: 101, created: true },
    });
    expect(await api.call('editor', 'PUT', '/api/stories', { ...body, name: 'Newer' })).toEqual({
      status: 200,
      body: { id: 101, created: false },
    });
    expect(await api.call('editor', 'GET', '/api/stories/101')).toMatchObject({
      status: 200,
      body: { name: 'Newer', status: 'draft', public: false, author: 1, course_id: 2 },
    });
  });

  it('POST /api/courses/:courseId/import/:storyId copies a story as a draft', async () => {
    expect(await api.call('editor', 'POST', '/api/courses/2/import/1')).toEqual({
      status: 201,
      body: { id: 102 },
    });
    expect(await api.call('editor', 'GET', '/api/stories/102')).toMatchObject({
      body: { course_id: 2, name: SQL_NAME, text: SQL_TEXT, status: 'draft', author: 1 },
    });
  });

  it('POST /api/stories/:id/approval toggles the caller’s approval', async () => {
    expect(await api.call('editor', 'POST', '/api/stories/4/approval')).toEqual({
      status: 200,
      body: { action: 'removed', story_id: 4, count: 0, status: 'draft', published: [] },
    });
    expect(await api.call('editor', 'POST', '/api/stories/4/approval')).toEqual({
      status: 200,
      body: { action: 'added', story_id: 4, count: 1, status: 'feedback', published: [] },
    });
  });

  it('DELETE /api/approvals/:id removes an approval and recomputes the status', async () => {
    expect(await api.call('admin', 'DELETE', '/api/approvals/2')).toEqual({
      status: 200,
      body: { action: 'removed', story_id: 1, count: 1, status: 'feedback', published: [] },
    });
  });

  it('POST /api/stories/:id/toggle-published publishes and stamps the date', async () => {
    const res = await api.call('admin', 'POST', '/api/stories/4/toggle-published');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 4, public: true, date_published: expect.stringMatching(ISO) });
    const page = await api.call('anonymous', 'GET', '/api/courses/es-en/stories');
    expect((page.body as { stories: Array<{ id: number }> }).stories.map((s) => s.id)).toEqual([
      2, 1, 4, 5,
    ]);
  });

  it('POST /api/stories/:id/done records the signed-in reader', async () => {
    expect(await api.call('reader', 'POST', '/api/stories/1/done')).toEqual({
      status: 201,
      body: { id: 101 },
    });
    expect(
      (await api.db.pool.query('SELECT user_id, story_id FROM story_done WHERE id = 101')).rows,
    ).toEqual([{ user_id: 3, story_id: 1 }]);
  });

  it('POST /api/courses and PUT /api/courses/:id save courses with derived short and names', async () => {
    const created = await api.call('admin', 'POST', '/api/courses', {
      learning_language: 4,
      from_language: 2,
      public: true,
      tags: 'Beginner, RTL',
    });
    expect(created).toEqual({ status: 201, body: { id: 101, short: 'ar-es' } });
    const list = await api.call('anonymous', 'GET', '/api/courses');
    const course = (list.body as { courses: Array<{ id: number }> }).courses.find(
      (c) => c.id === 101,
    );
    expect(course).toMatchObject({
      name: 'العربية',
      from_language_name: 'Español',
      tags: ['beginner', 'rtl'],
    });
    expect(
      await api.call('admin', 'PUT', '/api/courses/3', {
        id: 3,
        learning_language: 1,
        from_language: 3,
        name: 'EN',
        public: true,
      }),
    ).toEqual({ status: 200, body: { id: 3, short: 'en-de' } });
  });

  it('POST /api/languages and PUT /api/languages/:id save languages; a rename reaches courses', async () => {
    expect(
      await api.call('admin', 'POST', '/api/languages', { name: 'Français', short: 'fr' }),
    ).toEqual({
      status: 201,
      body: { id: 101 },
    });
    expect(
      await api.call('admin', 'PUT', '/api/languages/3', { name: 'German', short: 'de' }),
    ).toEqual({
      status: 200,
      body: { id: 3 },
    });
    const page = await api.call('anonymous', 'GET', '/api/courses/de-en/stories');
    expect(page.body).toMatchObject({
      course: { learning_language_name: 'German', name: 'German' },
    });
  });

  it('PUT default-text and tts-replace set one language column each', async () => {
    expect(
      await api.call('editor', 'PUT', '/api/languages/2/default-text', { default_text: SQL_TEXT }),
    ).toEqual({
      status: 200,
      body: { id: 2 },
    });
    expect(
      await api.call('editor', 'PUT', '/api/languages/2/tts-replace', { id: 2, tts_replace: null }),
    ).toEqual({
      status: 200,
      body: { id: 2 },
    });
    expect(await api.call('anonymous', 'GET', '/api/languages/2')).toMatchObject({
      body: { default_text: SQL_TEXT, tts_replace: null },
    });
  });

  it('PUT /api/avatar-mappings and /api/localizations upsert', async () => {
    expect(
      await api.call('editor', 'PUT', '/api/avatar-mappings', {
        avatar_id: 2,
        language_id: 1,
        name: 'Bee',
        speaker: null,
      }),
    ).toEqual({ status: 200, body: { id: 10 } });
    const tag = "x'; DROP TABLE localization; --";
    expect(
      await api.call('editor', 'PUT', '/api/localizations', {
        language_id: 3,
        tag,
        text: SQL_TEXT,
      }),
    ).toEqual({
      status: 200,
      body: { id: 101 },
    });
    expect(await api.call('anonymous', 'GET', '/api/languages/3/localization')).toEqual({
      status: 200,
      body: { [tag]: SQL_TEXT },
    });
    const mappings = await api.call('anonymous', 'GET', '/api/languages/1/avatar-mappings');
    expect((mappings.body as unknown[])[1]).toEqual({
      id: 10,
      avatar_id: 2,
      language_id: 1,
      name: 'Bee',
      speaker: null,
      link: 'link2',
      avatar_name: null,
    });
  });

  it('PUT /api/images/:id, POST/PUT avatars and speakers (admin)', async () => {
    const image = {
      active: 'a2',
      gilded: 'g2',
      locked: 'l2',
      active_lip: 'aaaaaa',
      gilded_lip: 'bbbbbb',
    };
    expect(await api.call('admin', 'PUT', '/api/images/img2', image)).toEqual({
      status: 200,
      body: { id: 'img2' },
    });
    expect(await api.call('anonymous', 'GET', '/api/images/img2')).toEqual({
      status: 200,
      body: { id: 'img2', ...image },
    });
    expect(await api.call('admin', 'POST', '/api/avatars', { link: 'l3' })).toEqual({
      status: 201,
      body: { id: 101 },
    });
    expect(
      await api.call('admin', 'PUT', '/api/avatars/1', { link: 'link1b', name: 'Anna' }),
    ).toEqual({
      status: 200,
      body: { id: 1 },
    });
    const speaker = {
      language_id: 2,
      speaker: 'es-ES-Elvira',
      gender: 'FEMALE',
      type: 'NEURAL',
      service: 'azure',
    };
    expect(await api.call('admin', 'POST', '/api/speakers', speaker)).toEqual({
      status: 201,
      body: { id: 101 },
    });
    expect(
      await api.call('admin', 'PUT', '/api/speakers/1', {
        ...speaker,
        speaker: 'en-US-Ava',
        language_id: 1,
      }),
    ).toEqual({
      status: 200,
      body: { id: 1 },
    });
    expect((await api.db.pool.query('SELECT id, link, name FROM avatar ORDER BY id')).rows).toEqual(
      [
        { id: 1, link: 'link1b', name: 'Anna' },
        { id: 2, link: 'link2', name: null },
        { id: 101, link: 'l3', name: null },
      ],
    );
  });

  it('DELETE /api/stories/:id soft-deletes the story', async () => {
    expect(await api.call('editor', 'DELETE', '/api/stories/2')).toEqual({
      status: 200,
      body: { id: 2 },
    });
    expect(await api.call('anonymous', 'GET', '/api/stories/2')).toMatchObject({ status: 404 });
    expect(
      (await api.db.pool.query('SELECT deleted, public FROM story WHERE id = 2')).rows,
    ).toEqual([{ deleted: true, public: false }]);
  });
});
