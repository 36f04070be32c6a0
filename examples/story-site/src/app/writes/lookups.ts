/** Write paths 11–13: avatar speakers, localizations, images, avatars and speakers. */
import { NotFoundError } from 'tandem';
import {
  avatarSpeakerInput,
  localizationInput,
  parseInput,
  saveAvatarInput,
  saveImageInput,
  saveSpeakerInput,
} from '../inputs.js';
import type { Actor, AppDeps } from '../ports.js';
import { requireRole } from './access.js';
import { requireReference } from './references.js';
import { translatingPgErrors } from './pgErrors.js';

/** 11. Set avatar speaker: upsert the mapping for (avatar_id, language_id). */
export async function setAvatarSpeaker(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'editor');
  const input = parseInput(avatarSpeakerInput, rawInput);
  return deps.runner.run('set-avatar-speaker', async (tx) => {
    await requireReference(tx, 'avatar', input.avatar_id, 'avatar_id');
    await requireReference(tx, 'language', input.language_id, 'language_id');
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO avatar_mapping (avatar_id, language_id, name, speaker) VALUES ($1, $2, $3, $4)
       ON CONFLICT (avatar_id, language_id) DO UPDATE SET name = EXCLUDED.name, speaker = EXCLUDED.speaker
       RETURNING id`,
      [input.avatar_id, input.language_id, input.name ?? null, input.speaker ?? null],
    );
    return { id: rows[0]!.id };
  });
}

/** 12. Save localization: upsert by (language_id, tag). */
export async function saveLocalization(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'editor');
  const input = parseInput(localizationInput, rawInput);
  return deps.runner.run('save-localization', async (tx) => {
    await requireReference(tx, 'language', input.language_id, 'language_id');
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO localization (language_id, tag, text) VALUES ($1, $2, $3)
       ON CONFLICT (language_id, tag) DO UPDATE SET text = EXCLUDED.text
       RETURNING id`,
      [input.language_id, input.tag, input.text],
    );
    return { id: rows[0]!.id };
  });
}

/** 13a. Create or update an image (its id is a string key chosen by the admin). */
export async function saveImage(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: string }> {
  requireRole(actor, 'admin');
  const input = parseInput(saveImageInput, rawInput);
  return deps.runner.run('save-image', async (tx) => {
    await tx.query(
      `INSERT INTO image (id, active, gilded, locked, active_lip, gilded_lip) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET active = EXCLUDED.active, gilded = EXCLUDED.gilded, locked = EXCLUDED.locked,
              active_lip = EXCLUDED.active_lip, gilded_lip = EXCLUDED.gilded_lip`,
      [input.id, input.active, input.gilded, input.locked, input.active_lip, input.gilded_lip],
    );
    return { id: input.id };
  });
}

/** 13b. Create or update an avatar. */
export async function saveAvatar(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'admin');
  const input = parseInput(saveAvatarInput, rawInput);
  return deps.runner.run('save-avatar', async (tx) => {
    if (input.id === undefined) {
      const { rows } = await tx.query<{ id: number }>(
        'INSERT INTO avatar (link, name) VALUES ($1, $2) RETURNING id',
        [input.link, input.name ?? null],
      );
      return { id: rows[0]!.id };
    }
    const { rowCount } = await tx.query('UPDATE avatar SET link = $2, name = $3 WHERE id = $1', [
      input.id,
      input.link,
      input.name ?? null,
    ]);
    if (!rowCount) throw new NotFoundError('avatar', input.id, 'id');
    return { id: input.id };
  });
}

/** 13c. Create or update a speaker (a TTS voice of a language). */
export async function saveSpeaker(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'admin');
  const input = parseInput(saveSpeakerInput, rawInput);
  const params = [input.language_id, input.speaker, input.gender, input.type, input.service];
  return deps.runner.run('save-speaker', async (tx) => {
    await requireReference(tx, 'language', input.language_id, 'language_id');
    return translatingPgErrors(
      async () => {
        if (input.id === undefined) {
          const { rows } = await tx.query<{ id: number }>(
            `INSERT INTO speaker (language_id, speaker, gender, type, service)
             VALUES ($1, $2, $3, $4, $5) RETURNING id`,
            params,
          );
          return { id: rows[0]!.id };
        }
        const { rowCount } = await tx.query(
          `UPDATE speaker SET language_id = $1, speaker = $2, gender = $3, type = $4, service = $5 WHERE id = $6`,
          [...params, input.id],
        );
        if (!rowCount) throw new NotFoundError('speaker', input.id, 'id');
        return { id: input.id };
      },
      { speaker_speaker_key: 'speaker' },
    );
  });
}
