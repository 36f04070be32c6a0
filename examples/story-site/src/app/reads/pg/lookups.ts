/** Lookup read paths on Postgres: localization dictionary, language, image, avatar mappings. */
import { NotFoundError } from 'tandem';
import type { Queryable } from 'tandem';
import { requireId, requireKey } from '../arguments.js';
import type { AvatarMappingItem, Image, Language } from '../types.js';

export async function localization(
  db: Queryable,
  languageId: unknown,
): Promise<Record<string, string>> {
  const id = requireId('languageId', languageId);
  // The LEFT JOIN yields one row even for a language without entries, which tells "empty" from "unknown".
  const result = await db.query<{ tag: string | null; text: string | null }>(
    `SELECT loc.tag, loc.text
       FROM language l LEFT JOIN localization loc ON loc.language_id = l.id
      WHERE l.id = $1
      ORDER BY loc.tag COLLATE "C"`,
    [id],
  );
  if (result.rows.length === 0) throw new NotFoundError('language', id, 'languageId');
  // fromEntries defines own properties, so a tag such as "__proto__" stays an ordinary key.
  return Object.fromEntries(
    result.rows.filter((r) => r.tag !== null).map((r) => [r.tag as string, r.text as string]),
  );
}

export async function languageById(db: Queryable, languageId: unknown): Promise<Language> {
  const id = requireId('id', languageId);
  const result = await db.query<Language>(
    `SELECT id, name, short, flag, flag_file, speaker, default_text, tts_replace, public, rtl
       FROM language WHERE id = $1`,
    [id],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError('language', id, 'id');
  return row;
}

export async function imageById(db: Queryable, imageId: unknown): Promise<Image> {
  const id = requireKey('id', imageId, 50);
  const result = await db.query<Image>(
    `SELECT id, active, gilded, locked, active_lip, gilded_lip FROM image WHERE id = $1`,
    [id],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError('image', id, 'id');
  return row;
}

export async function avatarMappings(
  db: Queryable,
  languageId: unknown,
): Promise<AvatarMappingItem[]> {
  const id = requireId('languageId', languageId);
  const language = await db.query(`SELECT 1 FROM language WHERE id = $1`, [id]);
  if (language.rows.length === 0) throw new NotFoundError('language', id, 'languageId');
  const result = await db.query<AvatarMappingItem>(
    `SELECT m.id, m.avatar_id, m.language_id, m.name, m.speaker, a.link, a.name AS avatar_name
       FROM avatar_mapping m JOIN avatar a ON a.id = m.avatar_id
      WHERE m.language_id = $1
      ORDER BY m.avatar_id`,
    [id],
  );
  return result.rows;
}
