/**
 * Write paths 1–3 and 6 of DOMAIN.md in Convex: save, delete, import and
 * publish stories, with the Postgres path's rules (src/app/writes/stories.ts)
 * and its refusals (convex/writes/refusals.ts). Plain functions of the `db`
 * they are given; the mutations are in convex/writes.ts.
 */
import type { Doc } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { adjustCourseCounts, refreshCourseCounts, storyShare } from './courseAggregates.js';
import { takeKey } from './keys.js';
import { invalidInput, notFound } from './refusals.js';
import { insertRow, patchRow, rowByKey, storyContent } from './rows.js';
import { requireKnownUser } from './users.js';

/** A story that is not soft-deleted, or the Postgres path's NotFoundError for `field`. */
export async function liveStory(
  db: DatabaseReader,
  id: number,
  field = 'id',
): Promise<Doc<'story'>> {
  const story = await rowByKey(db, 'story', id);
  if (!story || story.deleted === true) return notFound('story', id, field);
  return story;
}

export async function requireCourse(
  db: DatabaseReader,
  id: number,
  field: string,
): Promise<Doc<'course'>> {
  return (await rowByKey(db, 'course', id)) ?? invalidInput(field, `no course with id ${id}`);
}

export interface SaveStoryArgs {
  editor: number;
  id?: number;
  duo_id: string | null;
  name: string | null;
  image: string | null;
  set_id: number;
  set_index: number;
  course_id: number;
  text: string | null;
  /** The story's JSON in the mirror's encoding (src/mapping), or null. */
  json: unknown;
  todo_count: number;
}

/** The live story with this duo_id in this course, lowest id first; null when there is none. */
async function storyByDuoId(db: DatabaseReader, duoId: string | null, courseId: number) {
  if (duoId === null) return null;
  const stories = await db
    .query('story')
    .withIndex('by_course_id', (q) => q.eq('course_id', courseId))
    .collect();
  const matches = stories
    .filter((s) => s.duo_id === duoId && s.deleted !== true)
    .sort((a, b) => a.id - b.id);
  return matches[0] ?? null;
}

/** 1. Save story: update by id (or by duo_id + course_id), or create a draft; recount the course(s). */
export async function saveStory(
  db: DatabaseWriter,
  args: SaveStoryArgs,
): Promise<{ id: number; created: boolean }> {
  await requireCourse(db, args.course_id, 'course_id');
  if (args.image && !(await rowByKey(db, 'image', args.image)))
    invalidInput('image', `no image with id ${JSON.stringify(args.image)}`);
  const existing =
    args.id !== undefined
      ? await liveStory(db, args.id)
      : await storyByDuoId(db, args.duo_id, args.course_id);
  await requireKnownUser(db, args.editor);
  const now = Date.now();
  const content = {
    duo_id: args.duo_id,
    name: args.name,
    image: args.image,
    set_id: args.set_id,
    set_index: args.set_index,
  };
  const heavy = { text: args.text, json: args.json };
  let story: Doc<'story'>;
  if (existing) {
    story = await patchRow(
      db,
      'story',
      existing,
      {
        ...content,
        course_id: args.course_id,
        todo_count: args.todo_count,
        change_date: now,
        author_change: args.editor,
      },
      heavy,
    );
  } else {
    story = await insertRow(
      db,
      'story',
      {
        id: await takeKey(db, 'story'),
        ...content,
        course_id: args.course_id,
        todo_count: args.todo_count,
        author: args.editor,
        author_change: args.editor,
        date: now,
        change_date: now,
        date_published: null,
        public: false,
        deleted: false,
        status: 'draft',
      },
      heavy,
    );
  }
  if (existing && existing.course_id !== args.course_id)
    await refreshCourseCounts(db, existing.course_id);
  await refreshCourseCounts(db, args.course_id);
  return { id: story.id, created: !existing };
}

/** 2. Delete story: soft delete (deleted, not public); its share leaves its course's counts. */
export async function deleteStory(
  db: DatabaseWriter,
  args: { id: number },
): Promise<{ id: number }> {
  const story = await liveStory(db, args.id);
  const share = storyShare(story);
  await patchRow(db, 'story', story, { deleted: true, public: false });
  await adjustCourseCounts(db, story.course_id, { count: -share.count, todo_count: -share.todo_count });
  return { id: args.id };
}

/** 3. Import story: a copy of a story's content in another course, a new draft by the importer, its share added to the course. */
export async function importStory(
  db: DatabaseWriter,
  args: { importer: number; story_id: number; course_id: number },
): Promise<{ id: number }> {
  const source = await liveStory(db, args.story_id);
  await requireCourse(db, args.course_id, 'course_id');
  await requireKnownUser(db, args.importer);
  const now = Date.now();
  const copy = await insertRow(
    db,
    'story',
    {
      id: await takeKey(db, 'story'),
      duo_id: source.duo_id,
      name: source.name,
      image: source.image,
      set_id: source.set_id,
      set_index: source.set_index,
      course_id: args.course_id,
      todo_count: source.todo_count,
      author: args.importer,
      author_change: args.importer,
      date: now,
      change_date: now,
      date_published: null,
      public: false,
      deleted: false,
      status: 'draft',
    },
    { ...(await storyContent(db, source)) },
  );
  await adjustCourseCounts(db, args.course_id, storyShare(copy));
  return { id: copy.id };
}

/** 6. Toggle published: flip `public`, stamping `date_published` the first time; recount the course. */
export async function togglePublished(
  db: DatabaseWriter,
  args: { id: number },
): Promise<{ id: number; public: boolean; date_published: number | null }> {
  const story = await liveStory(db, args.id);
  const becomesPublic = story.public !== true;
  const datePublished =
    becomesPublic && story.date_published === null ? Date.now() : story.date_published;
  await patchRow(db, 'story', story, { public: becomesPublic, date_published: datePublished });
  await refreshCourseCounts(db, story.course_id);
  return { id: args.id, public: becomesPublic, date_published: datePublished };
}
