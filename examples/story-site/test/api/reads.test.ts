import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../../../../test/support/db.js';
import { startApi, type ApiHarness } from './harness.js';

const backends = await availableBackends();

describe.each(backends)('API read routes [%s]', (backend) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi(backend);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('GET /api/courses lists public courses with totals', async () => {
    const res = await api.call('anonymous', 'GET', '/api/courses');
    expect(res.status).toBe(200);
    const body = res.body as { courses: Array<{ id: number; name: string }>; totals: unknown };
    expect(body.courses.map((c) => [c.id, c.name])).toEqual([
      [3, 'English for Germans'],
      [2, 'Deutsch'],
      [1, 'Español'],
    ]);
    expect(body.totals).toEqual({ courses: 3, stories: 4 });
  });

  it('GET /api/courses/:short/stories returns the course page, 404 for an unknown short', async () => {
    const res = await api.call('anonymous', 'GET', '/api/courses/es-en/stories');
    expect(res.status).toBe(200);
    const body = res.body as {
      course: { id: number; contributors: string[] };
      stories: Array<{ id: number }>;
    };
    expect(body.course).toMatchObject({ id: 1, short: 'es-en', contributors: ['u1'] });
    expect(body.stories.map((s) => s.id)).toEqual([2, 1, 5]);
    expect(await api.call('anonymous', 'GET', '/api/courses/zz-zz/stories')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'course "zz-zz" not found', field: 'short' } },
    });
  });

  it('GET /api/stories/:id returns the story; deleted, unknown and malformed ids are refused', async () => {
    const res = await api.call('reader', 'GET', '/api/stories/1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 1,
      text: '> Hola',
      json: { lines: [{ t: 'Hola' }] },
      date_published: '2024-03-31T23:59:59.999Z',
      learning_language: 2,
      from_language: 1,
    });
    expect(await api.call('anonymous', 'GET', '/api/stories/3')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'story 3 not found', field: 'id' } },
    });
    for (const bad of ['abc', '0', '-1', '1.5', '01', '1e3', '99999999999']) {
      expect(await api.call('anonymous', 'GET', `/api/stories/${bad}`)).toEqual({
        status: 400,
        body: {
          error: { code: 'invalid_input', message: 'id: must be a positive integer', field: 'id' },
        },
      });
    }
  });

  it("GET /api/users/:userId/courses/:courseId/done lists the user's finished stories", async () => {
    // The editor token's user is 1: its own history.
    expect(await api.call('editor', 'GET', '/api/users/1/courses/1/done')).toEqual({
      status: 200,
      body: [
        { story_id: 1, time: '2024-03-31T23:59:59.999Z' },
        { story_id: 2, time: '2024-04-01T00:00:00.000Z' },
        { story_id: 3, time: '2024-03-05T00:00:00.000Z' },
      ],
    });
    const bad = await api.call('editor', 'GET', '/api/users/x/courses/1/done');
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'userId' } } });
    const badCourse = await api.call('editor', 'GET', '/api/users/1/courses/0/done');
    expect(badCourse).toMatchObject({ status: 400, body: { error: { field: 'courseId' } } });
  });

  it('GET /api/editor/courses and /api/editor/courses/:id serve editors', async () => {
    const list = await api.call('editor', 'GET', '/api/editor/courses');
    expect(list.status).toBe(200);
    expect((list.body as Array<{ id: number }>).map((c) => c.id)).toEqual([3, 2, 1, 4]);
    const view = await api.call('admin', 'GET', '/api/editor/courses/1');
    expect(view.status).toBe(200);
    const body = view.body as {
      course: { todo_count: number };
      stories: Array<{ id: number; approvals: number }>;
    };
    expect(body.course.todo_count).toBe(5);
    expect(body.stories.map((s) => [s.id, s.approvals])).toEqual([
      [2, 0],
      [1, 2],
      [4, 1],
      [5, 0],
    ]);
    expect(await api.call('editor', 'GET', '/api/editor/courses/99')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', field: 'id' } },
    });
  });

  it('GET /api/stats/:year/:month returns the month, and names a bad year or month', async () => {
    const res = await api.call('anonymous', 'GET', '/api/stats/2024/3');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-04-01T00:00:00.000Z',
      totals: { published: 3, read: 6, active_users: 3, stories_read: 3 },
    });
    expect(await api.call('anonymous', 'GET', '/api/stats/2024/13')).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_input',
          message: 'month: must be an integer from 1 to 12',
          field: 'month',
        },
      },
    });
    expect(await api.call('anonymous', 'GET', '/api/stats/20x4/1')).toMatchObject({
      status: 400,
      body: { error: { field: 'year' } },
    });
  });

  it('GET language, localization, avatar mappings and image lookups', async () => {
    expect(await api.call('anonymous', 'GET', '/api/languages/4')).toEqual({
      status: 200,
      body: {
        id: 4,
        name: 'العربية',
        short: 'ar',
        flag: null,
        flag_file: null,
        speaker: null,
        default_text: null,
        tts_replace: null,
        public: true,
        rtl: true,
      },
    });
    expect(await api.call('anonymous', 'GET', '/api/languages/1/localization')).toEqual({
      status: 200,
      body: { bye: 'Bye', hello: 'Hello' },
    });
    expect(await api.call('anonymous', 'GET', '/api/languages/1/avatar-mappings')).toEqual({
      status: 200,
      body: [
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
      ],
    });
    expect(await api.call('anonymous', 'GET', '/api/images/img1')).toEqual({
      status: 200,
      body: {
        id: 'img1',
        active: 'a.svg',
        gilded: 'g.svg',
        locked: 'l.svg',
        active_lip: 'ff0000',
        gilded_lip: '00ff00',
      },
    });
    expect(await api.call('anonymous', 'GET', '/api/images/nope')).toMatchObject({ status: 404 });
    expect(await api.call('anonymous', 'GET', '/api/languages/99/localization')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'language 99 not found', field: 'id' } },
    });
    expect(await api.call('anonymous', 'GET', '/api/languages/99/avatar-mappings')).toMatchObject({
      status: 404,
    });
  });

  it('GET /healthz answers ok, with the uptime and memory of the process', async () => {
    expect(await api.call('anonymous', 'GET', '/healthz')).toEqual({
      status: 200,
      body: { ok: true, uptimeSeconds: expect.any(Number), rssMiB: expect.any(Number) },
    });
  });
});
