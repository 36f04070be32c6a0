/**
 * DOMAIN.md's six invariants checked inside Convex, page by page, with the
 * edge-case rules of src/app/invariants/definitions.ts applied exactly as the
 * Postgres checker applies them (NULL count as 0, NULL deleted as not deleted,
 * NULL status as draft, language columns with a NULL id not checked). Each page
 * stays far below Convex's per-query read limits: a course page stops after a
 * budget of story documents, a story page reads one approval index range per
 * story.
 */
import { getConvexSize, type Value } from 'convex/values';
import { findByKey } from '../tandem/lookup.js';
import { KEY_INDEX, type MirrorDoc, type MirrorReader } from '../tandem/types.js';

export interface ConvexViolation {
  invariant: number;
  key: number;
  detail: string;
}

export interface InvariantPage {
  violations: ConvexViolation[];
  continueCursor: string | null;
}

const STORY_READ_BUDGET = 8000;
const BYTE_BUDGET = 8 * 1024 * 1024;
export const MAX_STORIES_PER_PAGE = 1500;
export const MAX_COURSES_PER_PAGE = 500;

const show = (value: unknown): string =>
  value === null || value === undefined ? 'NULL' : JSON.stringify(value);

function statusForApprovalCount(approvals: number): string {
  if (approvals <= 0) return 'draft';
  return approvals === 1 ? 'feedback' : 'finished';
}

type Doc = Record<string, unknown>;

async function languageLookup(db: MirrorReader, cache: Map<number, Doc | null>, id: unknown) {
  if (typeof id !== 'number') return null;
  if (!cache.has(id)) cache.set(id, (await findByKey(db, 'language', String(id))) as Doc | null);
  return cache.get(id) ?? null;
}

async function courseViolations(
  db: MirrorReader,
  course: Doc,
  stories: Doc[],
  languages: Map<number, Doc | null>,
): Promise<ConvexViolation[]> {
  const key = course.id as number;
  const out: ConvexViolation[] = [];
  const live = stories.filter((s) => s.deleted !== true);
  const published = live.filter((s) => s.public === true).length;
  if (((course.count as number | null) ?? 0) !== published)
    out.push({ invariant: 1, key, detail: `count is ${show(course.count)}, public non-deleted stories: ${show(published)}` });
  const todo = live.reduce((n, s) => n + ((s.todo_count as number | null) ?? 0), 0);
  if (course.todo_count !== todo)
    out.push({ invariant: 2, key, detail: `todo_count is ${show(course.todo_count)}, sum over non-deleted stories: ${todo}` });
  const learning = await languageLookup(db, languages, course.learning_language);
  const from = await languageLookup(db, languages, course.from_language);
  for (const [col, language] of [['from_language_name', from], ['learning_language_name', learning]] as const) {
    if (language && course[col] !== language.name)
      out.push({ invariant: 3, key, detail: `${col} is ${show(course[col])}, language name is ${show(language.name)}` });
  }
  if (learning && from) {
    const expected = `${String(learning.short)}-${String(from.short)}`;
    if (course.short !== expected)
      out.push({ invariant: 6, key, detail: `short is ${show(course.short)}, expected ${show(expected)}` });
  }
  return out;
}

/** Invariants 1, 2, 3 and 6 for a page of courses (in pgKey order, after `cursor`). */
export async function courseInvariantPage(
  db: MirrorReader,
  cursor: string | null,
  maxCourses: number,
): Promise<InvariantPage> {
  const limit = Math.max(1, Math.min(Math.floor(maxCourses), MAX_COURSES_PER_PAGE));
  const courses = db.query('course').withIndex(KEY_INDEX, (q) => (cursor === null ? q : q.gt('pgKey', cursor)));
  const languages = new Map<number, Doc | null>();
  const violations: ConvexViolation[] = [];
  let [done, storiesRead, bytes] = [0, 0, 0];
  let last: string | null = null;
  for await (const raw of courses) {
    if (done >= limit || storiesRead >= STORY_READ_BUDGET || bytes >= BYTE_BUDGET)
      return { violations, continueCursor: last };
    const course = raw as MirrorDoc;
    const stories = (await db
      .query('story')
      .withIndex('by_course_id', (q) => q.eq('course_id', course.id as never))
      .collect()) as Doc[];
    storiesRead += stories.length;
    for (const story of stories) bytes += getConvexSize(story as Value);
    violations.push(...(await courseViolations(db, course, stories, languages)));
    last = course.pgKey;
    done += 1;
  }
  return { violations, continueCursor: null };
}

/** Invariants 4 and 5 for a page of stories (in pgKey order, after `cursor`). */
export async function storyInvariantPage(
  db: MirrorReader,
  cursor: string | null,
  maxStories: number,
): Promise<InvariantPage> {
  const limit = Math.max(1, Math.min(Math.floor(maxStories), MAX_STORIES_PER_PAGE));
  const stories = db.query('story').withIndex(KEY_INDEX, (q) => (cursor === null ? q : q.gt('pgKey', cursor)));
  const violations: ConvexViolation[] = [];
  let done = 0;
  let last: string | null = null;
  for await (const raw of stories) {
    if (done >= limit) return { violations, continueCursor: last };
    const story = raw as MirrorDoc;
    const key = story.id as number;
    const approvals = (
      await db
        .query('story_approval')
        .withIndex('by_story_id', (q) => q.eq('story_id', key as never))
        .collect()
    ).length;
    const stored = story.status as string | null | undefined;
    if ((stored ?? 'draft') !== statusForApprovalCount(approvals))
      violations.push({ invariant: 4, key, detail: `status is ${show(stored)} with ${approvals} approval(s)` });
    if (story.public === true && (story.date_published === null || story.date_published === undefined))
      violations.push({ invariant: 5, key, detail: 'public story without date_published' });
    last = story.pgKey;
    done += 1;
  }
  return { violations, continueCursor: null };
}
