/**
 * Write path 8 of DOMAIN.md in Convex: save course (create or update), its
 * short and language names derived from its languages, as
 * src/app/writes/courses.ts does it. Tags arrive normalized (the app's server
 * runs the Postgres path's `normalizeTags`); their length is checked again here.
 */
import type { Doc } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { refreshContributors, refreshCourseCounts } from './courseAggregates.js';
import { takeKey } from './keys.js';
import { conflict, invalidInput, notFound } from './refusals.js';
import { insertRow, patchRow, rowByKey } from './rows.js';
import { COURSE_SHORT_MAX, TAG_MAX } from './rules.js';

export interface SaveCourseArgs {
  id?: number;
  learning_language: number;
  from_language: number;
  public: boolean;
  official: boolean;
  conlang: boolean;
  name: string | null;
  about: string | null;
  tags: string[] | null;
}

async function requireLanguage(
  db: DatabaseReader,
  id: number,
  field: string,
): Promise<Doc<'language'>> {
  return (await rowByKey(db, 'language', id)) ?? invalidInput(field, `no language with id ${id}`);
}

/** Courses holding this short, other than `exceptId`. */
export async function coursesWithShort(db: DatabaseReader, short: string, exceptId?: number) {
  const found = await db
    .query('course')
    .withIndex('by_short', (q) => q.eq('short', short))
    .collect();
  return found.filter((c) => c.id !== exceptId);
}

/** 8. Save course: `short` = learning short + '-' + from short; language names copied in. */
export async function saveCourse(
  db: DatabaseWriter,
  args: SaveCourseArgs,
): Promise<{ id: number; short: string }> {
  const tooLong = args.tags?.find((t) => t.length > TAG_MAX);
  if (tooLong !== undefined) invalidInput('tags', `tag "${tooLong}" is longer than ${TAG_MAX}`);
  const learning = await requireLanguage(db, args.learning_language, 'learning_language');
  const from = await requireLanguage(db, args.from_language, 'from_language');
  const short = `${learning.short}-${from.short}`;
  if (short.length > COURSE_SHORT_MAX)
    invalidInput('learning_language', `course short "${short}" is longer than ${COURSE_SHORT_MAX}`);
  const existing = args.id === undefined ? null : await rowByKey(db, 'course', args.id);
  if (args.id !== undefined && !existing) notFound('course', args.id, 'id');
  if ((await coursesWithShort(db, short, args.id)).length > 0) conflict('learning_language');
  const columns = {
    short,
    learning_language: args.learning_language,
    from_language: args.from_language,
    public: args.public,
    official: args.official,
    name: args.name,
    about: args.about,
    conlang: args.conlang,
    tags: args.tags,
    learning_language_name: learning.name,
    from_language_name: from.name,
  };
  const id = existing
    ? (await patchRow(db, 'course', existing, columns)).id
    : (
        await insertRow(db, 'course', {
          id: await takeKey(db, 'course'),
          ...columns,
          count: 0,
          todo_count: 0,
          contributors: [],
          contributors_past: [],
        })
      ).id;
  // Heals aggregates the old application may have left stale.
  await refreshCourseCounts(db, id);
  await refreshContributors(db, id);
  return { id, short };
}
