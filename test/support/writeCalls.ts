/**
 * Random write calls, as data, so that the same sequence can run through the
 * Postgres path and through the Convex path: every write path of DOMAIN.md,
 * with ids drawn from the fixture's small ranges plus missing ones, unknown
 * users, colliding shorts and names, and over-long derived shorts, so that
 * refusals of every kind are part of the mix. A call names only rows of the
 * seed (SEED_EXTRAS included) or missing ones: rows created during a run have
 * different ids on the two sides (test/support/convexWrites.ts).
 */
import fc from 'fast-check';
import type { Actor } from '../../examples/story-site/src/app/ports.js';
import type { WriteCall } from './convexWrites.js';

const editor = (userId: number): Actor => ({ userId, role: 'editor' });
const ADMIN: Actor = { userId: 9, role: 'admin' };
/** Not a row of `users` (the fixture has 1–9). */
const UNKNOWN_USER = 12;

/**
 * An id no row has on either side: past the ids Postgres and the Convex key
 * ranges hand out in a run (a small one could be created on one side only).
 */
const MISSING = 9999;

const user = fc.integer({ min: 1, max: 5 });
const story = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 9 }) },
  { weight: 1, arbitrary: fc.constant(MISSING) },
);
const course = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.constant(MISSING) },
);
const language = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 1, arbitrary: fc.constant(MISSING) },
);
const someText = fc.option(fc.constantFrom('hello', 'مرحبا', 'x'.repeat(40)), { nil: null });

/** A speaker for the update paths to find (the app fixture has none). */
export const SEED_EXTRAS = `
  INSERT INTO speaker (id, language_id, speaker, gender, type, service) VALUES (1, 1, 'voice-0', 'MALE', 'NORMAL', 'polly');
  SELECT setval(pg_get_serial_sequence('speaker', 'id'), 1);`;

const call = (path: WriteCall['path'], actor: Actor, input: unknown): WriteCall =>
  path === 'removeApprovalByRank' ? { path, actor, rank: input as number } : { path, actor, input };

export const writeCall: fc.Arbitrary<WriteCall> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 9, arbitrary: user },
          { weight: 1, arbitrary: fc.constant(UNKNOWN_USER) },
        ),
        story,
      )
      .map(([u, s]) => call('toggleApproval', editor(u), { story_id: s })),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0, max: 5 })
      .map((rank) => call('removeApprovalByRank', ADMIN, rank)),
  },
  { weight: 2, arbitrary: story.map((s) => call('togglePublished', ADMIN, { id: s })) },
  { weight: 1, arbitrary: story.map((s) => call('deleteStory', editor(1), { id: s })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        id: story,
        course_id: course,
        set_id: fc.integer({ min: 1, max: 2 }),
        todo_count: fc.integer({ min: 0, max: 5 }),
        image: fc.constantFrom(undefined, 'img-a', 'img-b', 'no-such-image'),
        text: someText,
        json: fc.constantFrom(
          undefined,
          { a: [1, 2, { b: 'c' }] },
          { $weird: 1, 'dots.in.key': null },
        ),
      })
      .map((r) => {
        const input: Record<string, unknown> = {
          id: r.id,
          course_id: r.course_id,
          set_id: r.set_id,
          set_index: r.id,
          todo_count: r.todo_count,
          text: r.text,
        };
        if (r.image !== undefined) input.image = r.image;
        if (r.json !== undefined) input.json = r.json;
        return call('saveStory', editor(2), input);
      }),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), course).map(([n, c]) =>
      call('saveStory', editor(3), {
        duo_id: `new-${n}`,
        course_id: c,
        set_id: 2,
        set_index: n,
        todo_count: n,
        name: `New ${n}`,
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(story, course)
      .map(([s, c]) => call('importStory', editor(4), { story_id: s, course_id: c })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(story, fc.constantFrom<number | null>(null, 1, 2, UNKNOWN_USER))
      .map(([s, u]) =>
        call(
          'recordStoryDone',
          u === null ? { userId: null, role: 'anonymous' } : { userId: u, role: 'reader' },
          { story_id: s },
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.record({
          story_id: story,
          user_id: fc.constantFrom<number | null>(null, 3, 4, UNKNOWN_USER),
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((items) => call('recordStoryDoneBatch', ADMIN, items)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        id: fc.constantFrom(undefined, 1, 2, 3, MISSING),
        l: language,
        f: language,
        pub: fc.boolean(),
        tags: fc.constantFrom(undefined, 'A, b  c', ['X', 'x', 'Y z']),
      })
      .map((r) => {
        const input: Record<string, unknown> = {
          learning_language: r.l,
          from_language: r.f,
          public: r.pub,
          name: r.id === undefined ? 'Created' : null,
        };
        if (r.id !== undefined) input.id = r.id;
        if (r.tags !== undefined) input.tags = r.tags;
        return call('saveCourse', ADMIN, input);
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        id: fc.constantFrom(undefined, 1, 2, 3, 4, MISSING),
        name: fc.constantFrom('Alpha', 'Βήτα', 'גימל'),
        short: fc.constantFrom('aa', 'bb', 'en', 'ar', 'kkkkkkkkkk', 'llllllllll'),
      })
      .map((r) =>
        call(
          'saveLanguage',
          ADMIN,
          r.id === undefined
            ? { name: r.name, short: r.short }
            : { id: r.id, name: r.name, short: r.short },
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(language, someText)
      .map(([id, t]) => call('setLanguageDefaultText', editor(1), { id, default_text: t })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(language, someText)
      .map(([id, t]) => call('setLanguageTtsReplace', editor(1), { id, tts_replace: t })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(1, MISSING), language, someText).map(([a, l, name]) =>
      call('setAvatarSpeaker', editor(2), {
        avatar_id: a,
        language_id: l,
        name,
        speaker: 'voice',
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(language, fc.constantFrom('hello', 'bye', 'Zebra'), fc.constantFrom('one', 'two'))
      .map(([l, tag, t]) => call('saveLocalization', editor(2), { language_id: l, tag, text: t })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('img-a', 'img-c'), fc.constantFrom('a.svg', 'c.svg'))
      .map(([id, active]) =>
        call('saveImage', ADMIN, {
          id,
          active,
          gilded: 'g.svg',
          locked: 'l.svg',
          active_lip: '#fff',
          gilded_lip: '#000',
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(undefined, 1, MISSING),
        fc.constantFrom('https://a.example', 'https://b.example'),
      )
      .map(([id, link]) =>
        call('saveAvatar', ADMIN, id === undefined ? { link } : { id, link, name: 'Av' }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(undefined, 1, MISSING),
        language,
        fc.constantFrom('voice-0', 'voice-1', 'voice-2'),
      )
      .map(([id, l, speaker]) => {
        const input: Record<string, unknown> = {
          language_id: l,
          speaker,
          gender: 'FEMALE',
          type: 'NEURAL',
          service: 'azure',
        };
        if (id !== undefined) input.id = id;
        return call('saveSpeaker', ADMIN, input);
      }),
  },
);

/** The write path a call exercises, for the tally of paths that succeeded at least once. */
export const callKind = (c: WriteCall): string => c.path;

export const ALL_CALL_KINDS = [
  'toggleApproval',
  'removeApprovalByRank',
  'togglePublished',
  'deleteStory',
  'saveStory',
  'importStory',
  'recordStoryDone',
  'recordStoryDoneBatch',
  'saveCourse',
  'saveLanguage',
  'setLanguageDefaultText',
  'setLanguageTtsReplace',
  'setAvatarSpeaker',
  'saveLocalization',
  'saveImage',
  'saveAvatar',
  'saveSpeaker',
];
