/**
 * JSON Schemas of the API's bodies and responses, for the OpenAPI document.
 * They document; they do not validate: the write paths validate their own input
 * (one rule set for every caller), and responses are serialized as plain JSON.
 * Request bodies are derived from the write paths' zod input schemas
 * (`bodyFromInput`); the error envelope is the HTTP host's (tandem).
 */
import type { JsonSchema } from 'tandem';

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, nullable: true });
const time = nullable({ type: 'string', format: 'date-time' });
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});
const arr = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const strings = arr(str);

const publicCourseProps = {
  id: int,
  short: nullable(str),
  name: nullable(str),
  learning_language: nullable(int),
  from_language: nullable(int),
  learning_language_name: nullable(str),
  from_language_name: nullable(str),
  official: bool,
  conlang: nullable(bool),
  tags: nullable(strings),
  about: nullable(str),
  count: nullable(int),
};
const courseDetailProps = {
  ...publicCourseProps,
  public: bool,
  contributors: strings,
  contributors_past: strings,
};

export const responses = {
  ok: obj({ ok: bool }),
  id: obj({ id: int }),
  stringId: obj({ id: str }),
  savedStory: obj({ id: int, created: bool }),
  savedCourse: obj({ id: int, short: str }),
  published: obj({ id: int, public: bool, date_published: time }),
  approval: {
    type: 'object',
    required: ['action', 'count', 'status', 'published'],
    properties: {
      action: { type: 'string', enum: ['added', 'removed'] },
      count: { ...int, description: 'Approvals of the story after the change.' },
      status: { type: 'string', enum: ['draft', 'feedback', 'finished'] },
      published: { ...arr(int), description: 'Ids of the stories this change published.' },
      story_id: { ...int, description: 'Only when removing an approval by id.' },
    },
  },
  publicCourses: obj({
    courses: arr(obj(publicCourseProps)),
    totals: obj({ courses: int, stories: int }),
  }),
  courseStories: obj({
    course: obj(courseDetailProps),
    stories: arr(
      obj({
        id: int,
        name: nullable(str),
        set_id: int,
        set_index: int,
        image: nullable(str),
        date_published: time,
        duo_id: nullable(str),
      }),
    ),
  }),
  story: obj({
    id: int,
    duo_id: nullable(str),
    name: nullable(str),
    set_id: int,
    set_index: int,
    author: nullable(int),
    author_change: nullable(int),
    date: time,
    change_date: time,
    date_published: time,
    text: nullable(str),
    public: nullable(bool),
    image: nullable(str),
    course_id: nullable(int),
    json: { description: 'The story document (any JSON value).', nullable: true },
    status: nullable({ type: 'string', enum: ['draft', 'feedback', 'finished'] }),
    deleted: nullable(bool),
    todo_count: int,
    learning_language: nullable(int),
    from_language: nullable(int),
  }),
  doneStories: arr(obj({ story_id: int, time })),
  editorCourses: arr(
    obj({
      id: int,
      short: nullable(str),
      name: nullable(str),
      learning_language: nullable(int),
      from_language: nullable(int),
      learning_language_name: nullable(str),
      from_language_name: nullable(str),
      public: bool,
      official: bool,
      count: nullable(int),
      todo_count: int,
    }),
  ),
  editorCourse: obj({
    course: obj({ ...courseDetailProps, todo_count: int }),
    stories: arr(
      obj({
        id: int,
        duo_id: nullable(str),
        name: nullable(str),
        image: nullable(str),
        set_id: int,
        set_index: int,
        status: nullable(str),
        public: nullable(bool),
        approvals: int,
        todo_count: int,
        author_change: nullable(int),
        change_date: time,
      }),
    ),
  }),
  monthlyStats: obj({
    year: int,
    month: int,
    from: str,
    to: str,
    courses: arr(
      obj({
        course_id: int,
        short: nullable(str),
        published: int,
        read: int,
        active_users: int,
        stories_read: int,
      }),
    ),
    totals: obj({ published: int, read: int, active_users: int, stories_read: int }),
  }),
  language: obj({
    id: int,
    name: str,
    short: str,
    flag: nullable({ type: 'number' }),
    flag_file: nullable(str),
    speaker: nullable(str),
    default_text: nullable(str),
    tts_replace: nullable(str),
    public: bool,
    rtl: bool,
  }),
  localization: { type: 'object', additionalProperties: str, description: 'tag → text' },
  image: obj({ id: str, active: str, gilded: str, locked: str, active_lip: str, gilded_lip: str }),
  avatarMappings: arr(
    obj({
      id: int,
      avatar_id: int,
      language_id: int,
      name: nullable(str),
      speaker: nullable(str),
      link: str,
      avatar_name: nullable(str),
    }),
  ),
} satisfies Record<string, JsonSchema>;
