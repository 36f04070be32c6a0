/**
 * Write paths 9 and 10 of DOMAIN.md in Convex: languages. A rename (or a new
 * short) reaches every course that copies it in the same mutation, as
 * src/app/writes/languages.ts does it, and is refused, with the Postgres
 * path's field, when a course's derived short would collide or outgrow its column.
 */
import type { Doc } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { coursesWithShort } from './courses.js';
import { takeKey } from './keys.js';
import { conflict, invalidInput, notFound } from './refusals.js';
import { insertRow, patchRow, rowByKey } from './rows.js';
import { COURSE_SHORT_MAX } from './rules.js';

export interface SaveLanguageArgs {
  id?: number;
  name: string;
  short: string;
  flag: number | null;
  flag_file: string | null;
  speaker: string | null;
  default_text: string | null;
  tts_replace: string | null;
  public: boolean;
  rtl: boolean;
}

async function languagesWithShort(db: DatabaseReader, short: string, exceptId?: number) {
  // No index on language.short: the table holds a few hundred languages.
  return (await db.query('language').collect()).filter(
    (l) => l.short === short && l.id !== exceptId,
  );
}

async function coursesOfLanguage(
  db: DatabaseReader,
  languageId: number,
): Promise<Array<Doc<'course'>>> {
  const learning = await db
    .query('course')
    .withIndex('by_learning_language', (q) => q.eq('learning_language', languageId))
    .collect();
  const from = await db
    .query('course')
    .withIndex('by_from_language', (q) => q.eq('from_language', languageId))
    .collect();
  const byId = new Map([...learning, ...from].map((c) => [c.id, c]));
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The copied names and derived short of every course that references the (already saved) language. */
async function propagateLanguage(db: DatabaseWriter, language: Doc<'language'>): Promise<void> {
  const planned: Array<{ course: Doc<'course'>; short: string | null }> = [];
  for (const course of await coursesOfLanguage(db, language.id)) {
    const learning =
      course.learning_language === null
        ? null
        : await rowByKey(db, 'language', course.learning_language);
    const from =
      course.from_language === null ? null : await rowByKey(db, 'language', course.from_language);
    const short = learning && from ? `${learning.short}-${from.short}` : course.short;
    if (short !== null && short.length > COURSE_SHORT_MAX)
      invalidInput('short', 'makes a derived value too long for its column');
    planned.push({ course, short });
  }
  // The courses' shorts as they will be once every planned change is made: none may be taken twice.
  const finalShort = new Map(planned.map((p) => [p.course.id, p.short]));
  for (const { course, short } of planned) {
    if (short === null || short === course.short) continue;
    const holders = (await coursesWithShort(db, short, course.id)).filter(
      (c) => (finalShort.get(c.id) ?? c.short) === short,
    );
    const planners = planned.filter((p) => p.course.id !== course.id && p.short === short);
    if (holders.length > 0 || planners.length > 0) conflict('short');
  }
  for (const { course, short } of planned) {
    await patchRow(db, 'course', course, {
      short,
      ...(course.learning_language === language.id
        ? { learning_language_name: language.name }
        : {}),
      ...(course.from_language === language.id ? { from_language_name: language.name } : {}),
    });
  }
}

/** 9. Save language: create, or update and carry name and short to its courses. */
export async function saveLanguage(
  db: DatabaseWriter,
  args: SaveLanguageArgs,
): Promise<{ id: number }> {
  const { id, ...columns } = args;
  const existing = id === undefined ? null : await rowByKey(db, 'language', id);
  if (id !== undefined && !existing) notFound('language', id, 'id');
  if ((await languagesWithShort(db, args.short, id)).length > 0) conflict('short');
  if (!existing)
    return {
      id: (await insertRow(db, 'language', { id: await takeKey(db, 'language'), ...columns })).id,
    };
  await propagateLanguage(db, await patchRow(db, 'language', existing, columns));
  return { id: existing.id };
}

/** 10. Set a language's default text or TTS replacement rules. */
export async function setLanguageColumn(
  db: DatabaseWriter,
  args: { id: number; column: 'default_text' | 'tts_replace'; value: string | null },
): Promise<{ id: number }> {
  const language = (await rowByKey(db, 'language', args.id)) ?? notFound('language', args.id, 'id');
  await patchRow(db, 'language', language, { [args.column]: args.value });
  return { id: args.id };
}
