/**
 * Course read paths in Convex (DOMAIN.md read paths 1, 2 and 5): the public
 * course list with site totals, a course page, the editor's course list and
 * course view. Internal queries, called with an admin/deploy key by the app's
 * server (src/app/reads/convex.ts), as `reads/courses:<name>`.
 *
 * Reads per call: the course table once (lists; the site has hundreds of
 * courses), a course's stories through `by_course_set` (pages), and one
 * `by_story_id` range of approvals per story (editor view): far below Convex's
 * 32,000 documents and 4,096 index ranges per query for any real course.
 */
import { v } from 'convex/values';
import type { Doc } from '../_generated/dataModel.js';
import { internalQuery, type DatabaseReader } from '../_generated/server.js';
import { byKey, compareCourses, compareStories, displayName, isVisible, storiesOfCourse } from './shared.js';

function publicCourse(c: Doc<'course'>) {
  return {
    id: c.id,
    short: c.short,
    name: displayName(c),
    learning_language: c.learning_language,
    from_language: c.from_language,
    learning_language_name: c.learning_language_name,
    from_language_name: c.from_language_name,
    official: c.official,
    conlang: c.conlang,
    tags: c.tags,
    about: c.about,
    count: c.count,
  };
}

function courseDetail(c: Doc<'course'>) {
  return {
    ...publicCourse(c),
    public: c.public,
    contributors: c.contributors,
    contributors_past: c.contributors_past,
  };
}

async function sortedCourses(db: DatabaseReader): Promise<Array<Doc<'course'>>> {
  return (await db.query('course').collect()).sort(compareCourses);
}

/** Public courses in list order, and the number of their public, non-deleted stories. */
export async function publicCourseList(db: DatabaseReader) {
  const courses = (await sortedCourses(db)).filter((c) => c.public);
  const publicIds = new Set(courses.map((c) => c.id));
  // Visible stories are public = true and deleted false or NULL: two ranges of one index.
  let stories = 0;
  for (const deleted of [false, null]) {
    const visible = await db
      .query('story')
      .withIndex('by_visibility', (q) => q.eq('public', true).eq('deleted', deleted))
      .collect();
    stories += visible.filter((s) => s.course_id !== null && publicIds.has(s.course_id)).length;
  }
  return { courses: courses.map(publicCourse), totals: { courses: courses.length, stories } };
}

function courseStoryItem(s: Doc<'story'>) {
  return {
    id: s.id,
    name: s.name,
    set_id: s.set_id,
    set_index: s.set_index,
    image: s.image,
    date_published: s.date_published,
    duo_id: s.duo_id,
  };
}

/** A course by `short` with its public, non-deleted stories in set order; null when no such course. */
export async function courseStoryList(db: DatabaseReader, short: string) {
  const course = await db
    .query('course')
    .withIndex('by_short', (q) => q.eq('short', short))
    .first();
  if (!course) return null;
  const stories = (await storiesOfCourse(db, course.id)).filter(isVisible).sort(compareStories);
  return { course: courseDetail(course), stories: stories.map(courseStoryItem) };
}

export async function editorCourseList(db: DatabaseReader) {
  return (await sortedCourses(db)).map((c) => ({
    id: c.id,
    short: c.short,
    name: displayName(c),
    learning_language: c.learning_language,
    from_language: c.from_language,
    learning_language_name: c.learning_language_name,
    from_language_name: c.from_language_name,
    public: c.public,
    official: c.official,
    count: c.count,
    todo_count: c.todo_count,
  }));
}

async function editorStoryItem(db: DatabaseReader, s: Doc<'story'>) {
  const approvals = await db
    .query('story_approval')
    .withIndex('by_story_id', (q) => q.eq('story_id', s.id))
    .collect();
  return {
    id: s.id,
    duo_id: s.duo_id,
    name: s.name,
    image: s.image,
    set_id: s.set_id,
    set_index: s.set_index,
    status: s.status,
    public: s.public,
    approvals: approvals.length,
    todo_count: s.todo_count,
    author_change: s.author_change,
    change_date: s.change_date,
  };
}

/** A course by id with every non-deleted story, its status and approval count; null when no such course. */
export async function editorCourseView(db: DatabaseReader, id: number) {
  const course = await byKey(db, 'course', id);
  if (!course) return null;
  const stories = (await storiesOfCourse(db, id)).filter((s) => s.deleted !== true).sort(compareStories);
  return {
    course: { ...courseDetail(course), todo_count: course.todo_count },
    stories: await Promise.all(stories.map((s) => editorStoryItem(db, s))),
  };
}

export const publicCourses = internalQuery({
  args: {},
  handler: (ctx) => publicCourseList(ctx.db),
});

export const courseStories = internalQuery({
  args: { short: v.string() },
  handler: (ctx, { short }) => courseStoryList(ctx.db, short),
});

export const editorCourses = internalQuery({
  args: {},
  handler: (ctx) => editorCourseList(ctx.db),
});

export const editorCourse = internalQuery({
  args: { id: v.number() },
  handler: (ctx, { id }) => editorCourseView(ctx.db, id),
});
