/**
 * Write paths 11–13 of DOMAIN.md in Convex: avatar speakers and
 * localizations (upserts by their unique pair), images (keyed by a string the
 * admin chooses), avatars and speakers, as src/app/writes/lookups.ts does them.
 */
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { takeKey } from './keys.js';
import { conflict, invalidInput, notFound } from './refusals.js';
import { insertRow, patchRow, rowByKey } from './rows.js';

async function requireParent(
  db: DatabaseReader,
  table: 'avatar' | 'language',
  id: number,
  field: string,
) {
  if (!(await rowByKey(db, table, id)))
    invalidInput(field, `no ${table} with id ${JSON.stringify(id)}`);
}

/** 11. Set avatar speaker: upsert the mapping for (avatar_id, language_id). */
export async function setAvatarSpeaker(
  db: DatabaseWriter,
  args: { avatar_id: number; language_id: number; name: string | null; speaker: string | null },
): Promise<{ id: number }> {
  await requireParent(db, 'avatar', args.avatar_id, 'avatar_id');
  await requireParent(db, 'language', args.language_id, 'language_id');
  const mapping = (
    await db
      .query('avatar_mapping')
      .withIndex('by_avatar_id', (q) => q.eq('avatar_id', args.avatar_id))
      .collect()
  ).find((m) => m.language_id === args.language_id);
  if (mapping)
    return {
      id: (
        await patchRow(db, 'avatar_mapping', mapping, { name: args.name, speaker: args.speaker })
      ).id,
    };
  return {
    id: (
      await insertRow(db, 'avatar_mapping', { id: await takeKey(db, 'avatar_mapping'), ...args })
    ).id,
  };
}

/** 12. Save localization: upsert by (language_id, tag). */
export async function saveLocalization(
  db: DatabaseWriter,
  args: { language_id: number; tag: string; text: string },
): Promise<{ id: number }> {
  await requireParent(db, 'language', args.language_id, 'language_id');
  const entry = (
    await db
      .query('localization')
      .withIndex('by_language_id', (q) => q.eq('language_id', args.language_id))
      .collect()
  ).find((l) => l.tag === args.tag);
  if (entry) return { id: (await patchRow(db, 'localization', entry, { text: args.text })).id };
  return {
    id: (await insertRow(db, 'localization', { id: await takeKey(db, 'localization'), ...args }))
      .id,
  };
}

export interface ImageArgs {
  id: string;
  active: string;
  gilded: string;
  locked: string;
  active_lip: string;
  gilded_lip: string;
}

/** 13a. Create or update an image under the id the admin chose. */
export async function saveImage(db: DatabaseWriter, args: ImageArgs): Promise<{ id: string }> {
  const image = await rowByKey(db, 'image', args.id);
  if (image) await patchRow(db, 'image', image, args);
  else await insertRow(db, 'image', args);
  return { id: args.id };
}

/** 13b. Create or update an avatar. */
export async function saveAvatar(
  db: DatabaseWriter,
  args: { id?: number; link: string; name: string | null },
): Promise<{ id: number }> {
  const { id, ...columns } = args;
  if (id === undefined)
    return {
      id: (await insertRow(db, 'avatar', { id: await takeKey(db, 'avatar'), ...columns })).id,
    };
  const avatar = (await rowByKey(db, 'avatar', id)) ?? notFound('avatar', id, 'id');
  await patchRow(db, 'avatar', avatar, columns);
  return { id };
}

export interface SpeakerArgs {
  id?: number;
  language_id: number;
  speaker: string;
  gender: 'MALE' | 'FEMALE';
  type: 'NORMAL' | 'NEURAL';
  service: string;
}

/** 13c. Create or update a speaker; its name is unique. */
export async function saveSpeaker(db: DatabaseWriter, args: SpeakerArgs): Promise<{ id: number }> {
  const { id, ...columns } = args;
  await requireParent(db, 'language', args.language_id, 'language_id');
  const existing = id === undefined ? null : await rowByKey(db, 'speaker', id);
  if (id !== undefined && !existing) notFound('speaker', id, 'id');
  // No index on speaker.speaker: the table holds one row per TTS voice.
  const taken = (await db.query('speaker').collect()).some(
    (s) => s.speaker === args.speaker && s.id !== id,
  );
  if (taken) conflict('speaker');
  if (existing) return { id: (await patchRow(db, 'speaker', existing, columns)).id };
  return {
    id: (await insertRow(db, 'speaker', { id: await takeKey(db, 'speaker'), ...columns })).id,
  };
}
