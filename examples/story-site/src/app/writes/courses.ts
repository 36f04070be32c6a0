/** Write path 8: save course (create or update), with its derived short and language names. */
import type pg from 'pg';
import { InvalidInputError, NotFoundError } from 'tandem';
import { parseInput, saveCourseInput } from '../inputs.js';
import type { Actor, AppDeps } from '../ports.js';
import { requireRole } from './access.js';
import { refreshContributors, refreshCourseCounts } from './courseAggregates.js';
import { translatingPgErrors } from './pgErrors.js';

const COURSE_SHORT_MAX = 20;
const TAG_MAX = 20;

/** Tags arrive as "a, b c" or ["A", "b"]; stored lower-case, trimmed, without blanks or repeats. */
export function normalizeTags(tags: string | string[] | null | undefined): string[] | null {
  if (tags === null || tags === undefined) return null;
  const parts = Array.isArray(tags) ? tags.flatMap((t) => t.split(/[\s,]+/)) : tags.split(/[\s,]+/);
  const normalized = [...new Set(parts.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  const tooLong = normalized.findIndex((t) => t.length > TAG_MAX);
  if (tooLong >= 0) throw new InvalidInputError('tags', `tag "${normalized[tooLong]}" is longer than ${TAG_MAX}`);
  return normalized;
}

interface LanguageNames {
  short: string;
  name: string;
}

/** Reads a language under a share lock, so a concurrent rename waits for this course to commit. */
async function readLanguage(tx: pg.PoolClient, id: number, field: string): Promise<LanguageNames> {
  const { rows } = await tx.query<LanguageNames>('SELECT short, name FROM language WHERE id = $1 FOR SHARE', [
    id,
  ]);
  if (!rows[0]) throw new InvalidInputError(field, `no language with id ${id}`);
  return rows[0];
}

/** 8. Save course: `short` = learning short + '-' + from short; language names copied in. */
export async function saveCourse(
  deps: AppDeps,
  actor: Actor,
  rawInput: unknown,
): Promise<{ id: number; short: string }> {
  requireRole(actor, 'admin');
  const input = parseInput(saveCourseInput, rawInput);
  const tags = normalizeTags(input.tags);
  return deps.runner.run('save-course', async (tx) => {
    const learning = await readLanguage(tx, input.learning_language, 'learning_language');
    const from = await readLanguage(tx, input.from_language, 'from_language');
    const short = `${learning.short}-${from.short}`;
    if (short.length > COURSE_SHORT_MAX) {
      throw new InvalidInputError('learning_language', `course short "${short}" is longer than ${COURSE_SHORT_MAX}`);
    }
    const params = [
      short,
      input.learning_language,
      input.from_language,
      input.public,
      input.official,
      input.name ?? null,
      input.about ?? null,
      input.conlang,
      tags,
      learning.name,
      from.name,
    ];
    const id = await translatingPgErrors(
      async () => {
        if (input.id === undefined) {
          const { rows } = await tx.query<{ id: number }>(
            `INSERT INTO course (short, learning_language, from_language, public, official, name, about, conlang,
                                 tags, learning_language_name, from_language_name, count, todo_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::varchar[], $10, $11, 0, 0) RETURNING id`,
            params,
          );
          return rows[0]!.id;
        }
        const { rowCount } = await tx.query(
          `UPDATE course SET short = $1, learning_language = $2, from_language = $3, public = $4, official = $5,
                  name = $6, about = $7, conlang = $8, tags = $9::varchar[], learning_language_name = $10,
                  from_language_name = $11
            WHERE id = $12`,
          [...params, input.id],
        );
        if (!rowCount) throw new NotFoundError('course', input.id, 'id');
        return input.id;
      },
      { course_short_key: 'learning_language' },
    );
    // Heals aggregates the old application may have left stale.
    await refreshCourseCounts(tx, id);
    await refreshContributors(tx, id, deps.users);
    return { id, short };
  });
}
