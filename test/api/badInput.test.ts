/**
 * Bad input for every write route: the right status and field, and not one row
 * of any of the ten tables changed (row counts and md5 of their contents).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import {
  snapshotTables,
  startApi,
  type ApiHarness,
  type Caller,
  type TableSnapshot,
} from './harness.js';

const backends = await availableBackends();

interface BadCase {
  caller: Caller;
  method: 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
  status: number;
  field?: string;
}

const story = { set_id: 1, set_index: 1, course_id: 1 };
const course = { learning_language: 1, from_language: 2 };
const language = { name: 'Français', short: 'fr' };
const image = { active: 'a', gilded: 'g', locked: 'l', active_lip: 'aaaaaa', gilded_lip: 'bbbbbb' };
const speaker = {
  language_id: 1,
  speaker: 'new-voice',
  gender: 'MALE',
  type: 'NORMAL',
  service: 'azure',
};
const long = (n: number) => 'x'.repeat(n);

const CASES: Record<string, BadCase[]> = {
  'PUT /api/stories/:id': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: {},
      status: 400,
      field: 'set_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, set_index: 'x' },
      status: 400,
      field: 'set_index',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, set_id: 2 ** 31 },
      status: 400,
      field: 'set_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, course_id: 999 },
      status: 400,
      field: 'course_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, image: 'nope' },
      status: 400,
      field: 'image',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, name: long(256) },
      status: 400,
      field: 'name',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, text: 'a\u0000b' },
      status: 400,
      field: 'text',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, id: 2 },
      status: 400,
      field: 'id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: { ...story, author: 9 },
      status: 400,
      field: 'author',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/1',
      body: [story],
      status: 400,
      field: '(body)',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/abc',
      body: story,
      status: 400,
      field: 'id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/999',
      body: story,
      status: 404,
      field: 'id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories/3',
      body: story,
      status: 404,
      field: 'id',
    },
  ],
  'PUT /api/stories': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories',
      body: story,
      status: 400,
      field: 'duo_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories',
      body: { ...story, duo_id: 'x', course_id: 0 },
      status: 400,
      field: 'course_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories',
      body: { ...story, duo_id: long(51) },
      status: 400,
      field: 'duo_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/stories',
      body: 'story',
      status: 400,
      field: '(body)',
    },
  ],
  'DELETE /api/stories/:id': [
    { caller: 'editor', method: 'DELETE', url: '/api/stories/999', status: 404, field: 'id' },
    { caller: 'editor', method: 'DELETE', url: '/api/stories/3', status: 404, field: 'id' },
    { caller: 'editor', method: 'DELETE', url: '/api/stories/0', status: 400, field: 'id' },
  ],
  'POST /api/courses/:courseId/import/:storyId': [
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/courses/999/import/1',
      status: 404,
      field: 'courseId',
    },
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/courses/1/import/999',
      status: 404,
      field: 'storyId',
    },
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/courses/1/import/3',
      status: 404,
      field: 'storyId',
    },
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/courses/x/import/1',
      status: 400,
      field: 'courseId',
    },
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/courses/1/import/-1',
      status: 400,
      field: 'storyId',
    },
  ],
  'POST /api/stories/:id/approval': [
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/stories/999/approval',
      status: 404,
      field: 'id',
    },
    { caller: 'editor', method: 'POST', url: '/api/stories/3/approval', status: 404, field: 'id' },
    {
      caller: 'editor',
      method: 'POST',
      url: '/api/stories/1.5/approval',
      status: 400,
      field: 'id',
    },
  ],
  'DELETE /api/approvals/:id': [
    { caller: 'admin', method: 'DELETE', url: '/api/approvals/999', status: 404, field: 'id' },
    { caller: 'admin', method: 'DELETE', url: '/api/approvals/abc', status: 400, field: 'id' },
  ],
  'POST /api/stories/:id/toggle-published': [
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/stories/999/toggle-published',
      status: 404,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/stories/3/toggle-published',
      status: 404,
      field: 'id',
    },
  ],
  'POST /api/stories/:id/done': [
    { caller: 'anonymous', method: 'POST', url: '/api/stories/999/done', status: 404, field: 'id' },
    { caller: 'reader', method: 'POST', url: '/api/stories/3/done', status: 404, field: 'id' },
    {
      caller: 'anonymous',
      method: 'POST',
      url: '/api/stories/2147483648/done',
      status: 400,
      field: 'id',
    },
  ],
  'POST /api/courses': [
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: {},
      status: 400,
      field: 'learning_language',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, from_language: '2' },
      status: 400,
      field: 'from_language',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, from_language: 999 },
      status: 400,
      field: 'from_language',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, tags: 5 },
      status: 400,
      field: 'tags',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, tags: [long(21)] },
      status: 400,
      field: 'tags.0',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, name: long(256) },
      status: 400,
      field: 'name',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { ...course, id: 1 },
      status: 400,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/courses',
      body: { learning_language: 2, from_language: 1 },
      status: 409,
    },
  ],
  'PUT /api/courses/:id': [
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/courses/999',
      body: course,
      status: 404,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/courses/1',
      body: { ...course, public: 'yes' },
      status: 400,
      field: 'public',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/courses/1',
      body: null,
      status: 400,
      field: '(body)',
    },
  ],
  'POST /api/languages': [
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/languages',
      body: { short: 'fr' },
      status: 400,
      field: 'name',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/languages',
      body: { ...language, name: '   ' },
      status: 400,
      field: 'name',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/languages',
      body: { ...language, short: long(11) },
      status: 400,
      field: 'short',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/languages',
      body: { ...language, flag: 'x' },
      status: 400,
      field: 'flag',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/languages',
      body: { ...language, short: 'en' },
      status: 409,
      field: 'short',
    },
  ],
  'PUT /api/languages/:id': [
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/languages/999',
      body: language,
      status: 404,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/languages/1',
      body: { name: 'English', short: 'de' },
      status: 409,
      field: 'short',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/languages/1',
      body: { ...language, rtl: 1 },
      status: 400,
      field: 'rtl',
    },
  ],
  'PUT /api/languages/:id/default-text': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/1/default-text',
      body: { default_text: long(101) },
      status: 400,
      field: 'default_text',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/1/default-text',
      body: { default_text: 5 },
      status: 400,
      field: 'default_text',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/1/default-text',
      body: { id: 2, default_text: 'a' },
      status: 400,
      field: 'id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/999/default-text',
      body: { default_text: 'a' },
      status: 404,
      field: 'id',
    },
  ],
  'PUT /api/languages/:id/tts-replace': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/1/tts-replace',
      body: { tts_replace: [] },
      status: 400,
      field: 'tts_replace',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/languages/999/tts-replace',
      body: { tts_replace: 'a' },
      status: 404,
      field: 'id',
    },
  ],
  'PUT /api/avatar-mappings': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/avatar-mappings',
      body: {},
      status: 400,
      field: 'avatar_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/avatar-mappings',
      body: { avatar_id: 999, language_id: 1 },
      status: 400,
      field: 'avatar_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/avatar-mappings',
      body: { avatar_id: 1, language_id: 999 },
      status: 400,
      field: 'language_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/avatar-mappings',
      body: { avatar_id: 1, language_id: 1, name: long(101) },
      status: 400,
      field: 'name',
    },
  ],
  'PUT /api/localizations': [
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/localizations',
      body: { language_id: 1, text: 'x' },
      status: 400,
      field: 'tag',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/localizations',
      body: { language_id: 1, tag: 't', text: 'a\u0000b' },
      status: 400,
      field: 'text',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/localizations',
      body: { language_id: 999, tag: 't', text: 'x' },
      status: 400,
      field: 'language_id',
    },
    {
      caller: 'editor',
      method: 'PUT',
      url: '/api/localizations',
      body: { language_id: 1, tag: long(101), text: 'x' },
      status: 400,
      field: 'tag',
    },
  ],
  'PUT /api/images/:id': [
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/images/img1',
      body: { active: 'a' },
      status: 400,
      field: 'gilded',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/images/img1',
      body: { ...image, active_lip: '1234567' },
      status: 400,
      field: 'active_lip',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/images/img1',
      body: { ...image, id: 'other' },
      status: 400,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: `/api/images/${long(51)}`,
      body: image,
      status: 400,
      field: 'id',
    },
  ],
  'POST /api/avatars': [
    { caller: 'admin', method: 'POST', url: '/api/avatars', body: {}, status: 400, field: 'link' },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/avatars',
      body: { link: '' },
      status: 400,
      field: 'link',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/avatars',
      body: { link: 'l', id: 5 },
      status: 400,
      field: 'id',
    },
  ],
  'PUT /api/avatars/:id': [
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/avatars/999',
      body: { link: 'l' },
      status: 404,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/avatars/1',
      body: { link: long(101) },
      status: 400,
      field: 'link',
    },
  ],
  'POST /api/speakers': [
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/speakers',
      body: { ...speaker, gender: 'OTHER' },
      status: 400,
      field: 'gender',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/speakers',
      body: { ...speaker, language_id: 999 },
      status: 400,
      field: 'language_id',
    },
    {
      caller: 'admin',
      method: 'POST',
      url: '/api/speakers',
      body: { ...speaker, speaker: 'en-US-Ava' },
      status: 409,
      field: 'speaker',
    },
  ],
  'PUT /api/speakers/:id': [
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/speakers/999',
      body: speaker,
      status: 404,
      field: 'id',
    },
    {
      caller: 'admin',
      method: 'PUT',
      url: '/api/speakers/1',
      body: { ...speaker, type: 'neural' },
      status: 400,
      field: 'type',
    },
  ],
};

const CODES: Record<number, string> = {
  400: 'invalid_input',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
};

describe.each(backends)('API write routes refuse bad input, changing nothing [%s]', (backend) => {
  let api: ApiHarness;
  let before: TableSnapshot;
  beforeAll(async () => {
    api = await startApi(backend);
    before = await snapshotTables(api.db.pool);
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each(Object.keys(CASES))('%s', async (route) => {
    for (const bad of CASES[route]!) {
      const res = await api.call(bad.caller, bad.method, bad.url, bad.body);
      const label = `${bad.method} ${bad.url} ${JSON.stringify(bad.body)?.slice(0, 80)}`;
      expect(res.status, label).toBe(bad.status);
      const error = (res.body as { error: { code: string; field?: string } }).error;
      expect(error.code, label).toBe(CODES[bad.status]);
      if (bad.field !== undefined) expect(error.field, label).toBe(bad.field);
      expect(await snapshotTables(api.db.pool), label).toEqual(before);
    }
  });

  it('refuses a body over the 8 MiB limit with 413', async () => {
    const res = await api.call('editor', 'PUT', '/api/stories/1', {
      ...story,
      text: long(9 * 1024 * 1024),
    });
    expect(res).toEqual({
      status: 413,
      body: {
        error: { code: 'payload_too_large', message: 'request body is larger than the limit' },
      },
    });
    expect(await snapshotTables(api.db.pool)).toEqual(before);
  });

  it('every write route has bad-input cases', () => {
    expect(Object.keys(CASES)).toHaveLength(21);
  });
});
