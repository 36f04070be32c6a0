/** Write paths 9 and 10: languages. A rename reaches every course that copies the name. */
import type pg from 'pg';
import { NotFoundError } from 'tandem';
import {
  languageDefaultTextInput,
  languageTtsReplaceInput,
  parseInput,
  saveLanguageInput,
} from '../inputs.js';
import type { Actor, AppDeps } from '../ports.js';
import { requireRole } from './access.js';
import { translatingPgErrors, VALUE_TOO_LONG } from './pgErrors.js';

const LANGUAGE_FIELDS = { language_short_key: 'short', course_short_key: 'short', [VALUE_TOO_LONG]: 'short' };

/**
 * Copies the language's current name and short into the courses that reference
 * it. Runs after the language row is updated (its lock is held), so a course
 * being saved concurrently, which share-locks the language, is either seen here
 * or reads the new name itself.
 */
async function propagateLanguage(tx: pg.PoolClient, languageId: number): Promise<void> {
  await tx.query(
    `UPDATE course c SET learning_language_name = l.name
       FROM language l
      WHERE l.id = $1 AND c.learning_language = l.id AND c.learning_language_name IS DISTINCT FROM l.name`,
    [languageId],
  );
  await tx.query(
    `UPDATE course c SET from_language_name = l.name
       FROM language l
      WHERE l.id = $1 AND c.from_language = l.id AND c.from_language_name IS DISTINCT FROM l.name`,
    [languageId],
  );
  await tx.query(
    `UPDATE course c SET short = ll.short || '-' || fl.short
       FROM language ll, language fl
      WHERE (c.learning_language = $1 OR c.from_language = $1)
        AND ll.id = c.learning_language AND fl.id = c.from_language
        AND c.short IS DISTINCT FROM ll.short || '-' || fl.short`,
    [languageId],
  );
}

/** 9. Save language: create, or update and propagate name/short to courses in the same transaction. */
export async function saveLanguage(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'admin');
  const input = parseInput(saveLanguageInput, rawInput);
  const params = [
    input.name,
    input.short,
    input.flag ?? null,
    input.flag_file ?? null,
    input.speaker ?? null,
    input.default_text ?? null,
    input.tts_replace ?? null,
    input.public,
    input.rtl,
  ];
  return deps.runner.run('save-language', (tx) =>
    translatingPgErrors(async () => {
      if (input.id === undefined) {
        const { rows } = await tx.query<{ id: number }>(
          `INSERT INTO language (name, short, flag, flag_file, speaker, default_text, tts_replace, public, rtl)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          params,
        );
        return { id: rows[0]!.id };
      }
      const { rowCount } = await tx.query(
        `UPDATE language SET name = $1, short = $2, flag = $3, flag_file = $4, speaker = $5, default_text = $6,
                tts_replace = $7, public = $8, rtl = $9
          WHERE id = $10`,
        [...params, input.id],
      );
      if (!rowCount) throw new NotFoundError('language', input.id, 'id');
      await propagateLanguage(tx, input.id);
      return { id: input.id };
    }, LANGUAGE_FIELDS),
  );
}

async function updateLanguageColumn(
  deps: AppDeps,
  operation: string,
  sql: string,
  id: number,
  value: string | null,
): Promise<{ id: number }> {
  return deps.runner.run(operation, async (tx) => {
    const { rowCount } = await tx.query(sql, [id, value]);
    if (!rowCount) throw new NotFoundError('language', id, 'id');
    return { id };
  });
}

/** 10a. Set a language's default text (editor). */
export async function setLanguageDefaultText(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'editor');
  const input = parseInput(languageDefaultTextInput, rawInput);
  return updateLanguageColumn(
    deps,
    'set-language-default-text',
    'UPDATE language SET default_text = $2 WHERE id = $1',
    input.id,
    input.default_text ?? null,
  );
}

/** 10b. Set a language's TTS replacement rules (editor). */
export async function setLanguageTtsReplace(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'editor');
  const input = parseInput(languageTtsReplaceInput, rawInput);
  return updateLanguageColumn(
    deps,
    'set-language-tts-replace',
    'UPDATE language SET tts_replace = $2 WHERE id = $1',
    input.id,
    input.tts_replace ?? null,
  );
}
