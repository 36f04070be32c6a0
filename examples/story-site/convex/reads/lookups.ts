/**
 * Lookup read paths in Convex (DOMAIN.md read path 7): a language's
 * localization dictionary, a language, an image, a language's avatar mappings.
 * Internal queries: `reads/lookups:<name>`. Each returns null for an unknown
 * language or image, so the caller raises the same NotFoundError as Postgres.
 */
import { v } from 'convex/values';
import { internalQuery, type DatabaseReader } from '../_generated/server.js';
import { byKey, compareCodePoints } from './shared.js';

/** [tag, text] pairs in tag order ("C" collation); null for an unknown language. */
export async function localizationEntries(db: DatabaseReader, languageId: number) {
  if (!(await byKey(db, 'language', languageId))) return null;
  const rows = await db
    .query('localization')
    .withIndex('by_language_id', (q) => q.eq('language_id', languageId))
    .collect();
  return rows.sort((a, b) => compareCodePoints(a.tag, b.tag)).map((r) => [r.tag, r.text] as [string, string]);
}

export async function languageRow(db: DatabaseReader, id: number) {
  const l = await byKey(db, 'language', id);
  if (!l) return null;
  return {
    id: l.id,
    name: l.name,
    short: l.short,
    flag: l.flag,
    flag_file: l.flag_file,
    speaker: l.speaker,
    default_text: l.default_text,
    tts_replace: l.tts_replace,
    public: l.public,
    rtl: l.rtl,
  };
}

export async function imageRow(db: DatabaseReader, id: string) {
  const i = await byKey(db, 'image', id);
  if (!i) return null;
  return { id: i.id, active: i.active, gilded: i.gilded, locked: i.locked, active_lip: i.active_lip, gilded_lip: i.gilded_lip };
}

/** The language's avatar mappings joined with their avatar (inner join), by avatar id; null for an unknown language. */
export async function avatarMappingList(db: DatabaseReader, languageId: number) {
  if (!(await byKey(db, 'language', languageId))) return null;
  const mappings = await db
    .query('avatar_mapping')
    .withIndex('by_language_id', (q) => q.eq('language_id', languageId))
    .collect();
  const joined = await Promise.all(
    mappings.map(async (m) => {
      const avatar = await byKey(db, 'avatar', m.avatar_id);
      return avatar
        ? [{ id: m.id, avatar_id: m.avatar_id, language_id: m.language_id, name: m.name, speaker: m.speaker, link: avatar.link, avatar_name: avatar.name }]
        : [];
    }),
  );
  // (avatar_id, language_id) is unique, so avatar id alone orders them.
  return joined.flat().sort((a, b) => a.avatar_id - b.avatar_id);
}

export const localization = internalQuery({
  args: { languageId: v.number() },
  handler: (ctx, { languageId }) => localizationEntries(ctx.db, languageId),
});

export const languageById = internalQuery({
  args: { id: v.number() },
  handler: (ctx, { id }) => languageRow(ctx.db, id),
});

export const imageById = internalQuery({
  args: { id: v.string() },
  handler: (ctx, { id }) => imageRow(ctx.db, id),
});

export const avatarMappings = internalQuery({
  args: { languageId: v.number() },
  handler: (ctx, { languageId }) => avatarMappingList(ctx.db, languageId),
});
