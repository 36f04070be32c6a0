/**
 * Story read paths in Convex (DOMAIN.md read paths 3 and 4): one story with its
 * heavy columns and its course's languages, and a user's finished stories in a
 * course. Internal queries: `reads/stories:<name>`.
 *
 * Values are returned as stored (timestamps in milliseconds, story JSON in the
 * mirror's encoding); the caller turns them into the Postgres read's JSON
 * (src/app/reads/convex.ts).
 */
import { v } from 'convex/values';
import { internalQuery, type DatabaseReader } from '../_generated/server.js';
import { byKey, storiesOfCourse } from './shared.js';

/** A non-deleted story by id, joined with `story_content` and its course's language ids; null when absent. */
export async function storyDetail(db: DatabaseReader, id: number) {
  const story = await byKey(db, 'story', id);
  if (!story || story.deleted === true) return null;
  const content = await byKey(db, 'story_content', story.pgKey);
  // LEFT JOIN course: a story without a course (or whose course is not there) has no languages.
  const course = story.course_id === null ? null : await byKey(db, 'course', story.course_id);
  return {
    id: story.id,
    duo_id: story.duo_id,
    name: story.name,
    set_id: story.set_id,
    set_index: story.set_index,
    author: story.author,
    author_change: story.author_change,
    date: story.date,
    change_date: story.change_date,
    date_published: story.date_published,
    text: content?.text ?? null,
    public: story.public,
    image: story.image,
    course_id: story.course_id,
    json: (content?.json as unknown) ?? null,
    status: story.status,
    deleted: story.deleted,
    todo_count: story.todo_count,
    learning_language: course?.learning_language ?? null,
    from_language: course?.from_language ?? null,
  };
}

/**
 * Each story of the course (deleted ones included, as in Postgres) the user finished, with
 * the latest time, by story id. One `by_user_story_time` range per story of the course, read
 * newest first, stops at one document: Convex orders null before numbers, so the first is
 * the latest non-null time, or null when every time is null (SQL's max()).
 */
export async function userDoneList(db: DatabaseReader, userId: number, courseId: number) {
  const stories = await storiesOfCourse(db, courseId);
  const latest = await Promise.all(
    stories.map((s) =>
      db
        .query('story_done')
        .withIndex('by_user_story_time', (q) => q.eq('user_id', userId).eq('story_id', s.id))
        .order('desc')
        .first(),
    ),
  );
  return latest
    .flatMap((done, i) => (done ? [{ story_id: stories[i]!.id, time: done.time }] : []))
    .sort((a, b) => a.story_id - b.story_id);
}

export const storyById = internalQuery({
  args: { id: v.number() },
  handler: (ctx, { id }) => storyDetail(ctx.db, id),
});

export const userDoneStories = internalQuery({
  args: { userId: v.number(), courseId: v.number() },
  handler: (ctx, { userId, courseId }) => userDoneList(ctx.db, userId, courseId),
});
