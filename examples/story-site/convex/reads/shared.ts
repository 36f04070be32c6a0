/**
 * What the story site's Convex read functions share: lookups by Postgres key,
 * the "visible story" rule, and the course order. Every rule here mirrors one
 * of the Postgres reads (src/app/reads/pg/), so both stores give the same
 * answer for the same rows: NULL `public` reads as false and NULL `deleted` as
 * not deleted, names compare by code point (Postgres's `COLLATE "C"`), and
 * NULL sorts after every string (Postgres's ascending order).
 */
import type { Doc, TableNames } from '../_generated/dataModel.js';
import type { DatabaseReader } from '../_generated/server.js';
import { findByKey } from '../tandem/lookup.js';
import type { MirrorReader } from '../tandem/types.js';

/** One mirrored row by its Postgres key (`pgKey` is the key column's text: `"12"` for id 12). */
export async function byKey<T extends TableNames>(
  db: DatabaseReader,
  table: T,
  key: string | number,
): Promise<Doc<T> | null> {
  return (await findByKey(db as unknown as MirrorReader, table, String(key))) as Doc<T> | null;
}

/** Public and not deleted (both columns are nullable; NULL is the default, false). */
export function isVisible(story: Doc<'story'>): boolean {
  return story.public === true && story.deleted !== true;
}

/**
 * Code point order, which is the byte order of UTF-8 and so Postgres's "C" collation.
 * JavaScript's `<` compares UTF-16 units, which puts a character above U+FFFF (a
 * surrogate pair, 0xD800–0xDFFF) before U+E000–U+FFFF; moving the units fixes that.
 * Written by hand: Intl.Collator follows a locale, not code points.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Ascending text order with NULL last, as Postgres sorts. */
export function compareNullableText(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return compareCodePoints(a, b);
}

/** The displayed course name: `name`, or the learning language's name when `name` is NULL or empty. */
export function displayName(course: Doc<'course'>): string | null {
  return course.name === null || course.name === '' ? course.learning_language_name : course.name;
}

/** Course lists: by `from_language_name`, then displayed name, then id. */
export function compareCourses(a: Doc<'course'>, b: Doc<'course'>): number {
  return (
    compareNullableText(a.from_language_name, b.from_language_name) ||
    compareNullableText(displayName(a), displayName(b)) ||
    a.id - b.id
  );
}

/** Stories of a course: by `set_id`, `set_index`, then id. */
export function compareStories(a: Doc<'story'>, b: Doc<'story'>): number {
  return a.set_id - b.set_id || a.set_index - b.set_index || a.id - b.id;
}

/** A course's stories, all of them (deleted and unpublished included), through the set index. */
export function storiesOfCourse(db: DatabaseReader, courseId: number): Promise<Array<Doc<'story'>>> {
  return db
    .query('story')
    .withIndex('by_course_set', (q) => q.eq('course_id', courseId))
    .collect();
}
