/**
 * Course read paths on Postgres: the public course list, a course page, and the
 * editor's course list and course view. Text ordering uses the "C" collation so
 * every server (and the Convex implementation, comparing code points) agrees on
 * the order whatever the database's locale.
 */
import { NotFoundError } from 'tandem';
import type { Queryable } from 'tandem';
import { isoOrNull, requireId, requireKey } from '../arguments.js';
import type {
  CourseDetail,
  CourseStories,
  EditorCourseItem,
  EditorCourseView,
  EditorStoryItem,
  PublicCourse,
  PublicCourseList,
  StoryStatus,
} from '../types.js';

/** The displayed name: `name`, or the learning language's name when `name` is NULL or empty. */
const DISPLAY_NAME = `COALESCE(NULLIF(c.name, ''), c.learning_language_name)`;
const COURSE_ORDER = `c.from_language_name COLLATE "C", ${DISPLAY_NAME} COLLATE "C", c.id`;

const PUBLIC_COLUMNS = `c.id, c.short, ${DISPLAY_NAME} AS name, c.learning_language, c.from_language,
  c.learning_language_name, c.from_language_name, c.official, c.conlang, c.tags, c.about, c.count`;
const DETAIL_COLUMNS = `${PUBLIC_COLUMNS}, c.public, c.contributors, c.contributors_past, c.todo_count`;

/** Public, non-deleted stories (the story columns are nullable; NULL reads as the default false). */
const VISIBLE_STORY = `s.public IS TRUE AND s.deleted IS NOT TRUE`;

export async function publicCourses(db: Queryable): Promise<PublicCourseList> {
  const courses = await db.query<PublicCourse>(
    `SELECT ${PUBLIC_COLUMNS} FROM course c WHERE c.public ORDER BY ${COURSE_ORDER}`,
  );
  const totals = await db.query<{ stories: number }>(
    `SELECT count(*)::int AS stories
       FROM story s JOIN course c ON c.id = s.course_id
      WHERE c.public AND ${VISIBLE_STORY}`,
  );
  return {
    courses: courses.rows,
    totals: { courses: courses.rows.length, stories: totals.rows[0]?.stories ?? 0 },
  };
}

type CourseDetailRow = CourseDetail & { todo_count: number };

function courseDetail(row: CourseDetailRow): CourseDetail {
  const { todo_count: _todo, ...detail } = row;
  return detail;
}

export async function courseStories(db: Queryable, short: unknown): Promise<CourseStories> {
  const key = requireKey('short', short, 20);
  const course = await db.query<CourseDetailRow>(
    `SELECT ${DETAIL_COLUMNS} FROM course c WHERE c.short = $1`,
    [key],
  );
  const row = course.rows[0];
  if (!row) throw new NotFoundError('course', key, 'short');
  const stories = await db.query<{
    id: number;
    name: string | null;
    set_id: number;
    set_index: number;
    image: string | null;
    date_published: Date | null;
    duo_id: string | null;
  }>(
    `SELECT s.id, s.name, s.set_id, s.set_index, s.image, s.date_published, s.duo_id
       FROM story s
      WHERE s.course_id = $1 AND ${VISIBLE_STORY}
      ORDER BY s.set_id, s.set_index, s.id`,
    [row.id],
  );
  return {
    course: courseDetail(row),
    stories: stories.rows.map((s) => ({ ...s, date_published: isoOrNull(s.date_published) })),
  };
}

export async function editorCourses(db: Queryable): Promise<EditorCourseItem[]> {
  const result = await db.query<EditorCourseItem>(
    `SELECT c.id, c.short, ${DISPLAY_NAME} AS name, c.learning_language, c.from_language,
            c.learning_language_name, c.from_language_name, c.public, c.official, c.count, c.todo_count
       FROM course c ORDER BY ${COURSE_ORDER}`,
  );
  return result.rows;
}

type EditorStoryRow = Omit<EditorStoryItem, 'change_date'> & {
  change_date: Date | null;
  status: StoryStatus | null;
};

export async function editorCourse(db: Queryable, id: unknown): Promise<EditorCourseView> {
  const courseId = requireId('id', id);
  const course = await db.query<CourseDetailRow>(
    `SELECT ${DETAIL_COLUMNS} FROM course c WHERE c.id = $1`,
    [courseId],
  );
  const row = course.rows[0];
  if (!row) throw new NotFoundError('course', courseId, 'id');
  const stories = await db.query<EditorStoryRow>(
    `SELECT s.id, s.duo_id, s.name, s.image, s.set_id, s.set_index, s.status, s.public,
            (SELECT count(*)::int FROM story_approval a WHERE a.story_id = s.id) AS approvals,
            s.todo_count, s.author_change, s.change_date
       FROM story s
      WHERE s.course_id = $1 AND s.deleted IS NOT TRUE
      ORDER BY s.set_id, s.set_index, s.id`,
    [courseId],
  );
  return {
    course: row,
    stories: stories.rows.map((s) => ({ ...s, change_date: isoOrNull(s.change_date) })),
  };
}
