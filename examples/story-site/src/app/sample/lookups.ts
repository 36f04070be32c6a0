/**
 * The small tables: language, image, avatar, speaker, localization,
 * avatar_mapping. Their sizes grow with the scale but stay small (a thousand
 * languages at scale 10), so the few facts later tables need from them
 * (language names and scripts, image ids) are kept in memory.
 */
import type { Queryable } from 'tandem';
import { BatchInsert } from './batchInsert.js';
import { SampleRandom, STREAMS } from './random.js';
import {
  IMAGE_NOUNS,
  KNOWN_LANGUAGES,
  LOCALIZATION_TAGS,
  SPEAKER_SERVICES,
  SPEAKER_VOICES,
  SYLLABLES,
  wordsFor,
  type LanguageSeed,
} from './vocabulary.js';
import {
  MAPPINGS_PER_AVATAR,
  SPEAKERS_PER_LANGUAGE,
  TAGS_PER_LANGUAGE,
  type SampleCounts,
} from './plan.js';
import type { Progress } from './progress.js';

export interface SampleLanguage extends LanguageSeed {
  id: number;
}

/** The j-th speaker of a language: a rule, so language.speaker and avatar_mapping can refer to it. */
export function speakerName(language: SampleLanguage, j: number): string {
  return `${language.short}-${SPEAKER_VOICES[(language.id + j) % SPEAKER_VOICES.length]}`;
}

function languageSeed(rand: SampleRandom, index: number): LanguageSeed {
  const known = KNOWN_LANGUAGES[index];
  if (known) return known;
  let name = '';
  for (let n = rand.int(2, 4); n > 0; n--) name += rand.pick(SYLLABLES);
  return {
    short: `x${index}`,
    name: name[0]!.toUpperCase() + name.slice(1),
    rtl: false,
    script: 'latin',
  };
}

export async function insertLanguages(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.language);
  const languages: SampleLanguage[] = [];
  const batch = new BatchInsert(
    db,
    'language',
    [
      'id',
      'name',
      'short',
      'flag',
      'flag_file',
      'speaker',
      'default_text',
      'tts_replace',
      'public',
      'rtl',
    ],
    { onFlush: (n) => progress('language', n) },
  );
  for (let i = 0; i < counts.language; i++) {
    const language: SampleLanguage = { id: i + 1, ...languageSeed(rand, i) };
    const words = wordsFor(language.script);
    await batch.add([
      language.id,
      language.name,
      language.short,
      rand.maybe(0.3, () => rand.int(0, 2000) / 10),
      rand.maybe(0.4, () => `flags/${language.short}.svg`),
      rand.maybe(0.3, () => speakerName(language, 0)),
      rand.maybe(0.6, () => `${rand.pick(words)} ${rand.pick(words)}`),
      rand.maybe(0.8, () => JSON.stringify({ [rand.pick(words)]: rand.pick(words) })),
      i < 5 || rand.chance(0.7),
      language.rtl,
    ]);
    languages.push(language);
  }
  await batch.flush();
  return languages;
}

export async function insertImages(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.image);
  const ids: string[] = [];
  const batch = new BatchInsert(
    db,
    'image',
    ['id', 'active', 'gilded', 'locked', 'active_lip', 'gilded_lip'],
    {
      onFlush: (n) => progress('image', n),
    },
  );
  for (let i = 0; i < counts.image; i++) {
    // A string key, as in the real data; the index keeps it unique.
    const id = `${rand.pick(IMAGE_NOUNS)}_${(i + 1).toString(36)}_${rand.hex(4)}`;
    const base = `https://stories.example/images/${id}`;
    await batch.add([
      id,
      `${base}/active.svg`,
      `${base}/gilded.svg`,
      `${base}/locked.svg`,
      rand.hex(6).toUpperCase(),
      rand.hex(6).toUpperCase(),
    ]);
    ids.push(id);
  }
  await batch.flush();
  return ids;
}

export async function insertAvatars(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.avatar);
  const batch = new BatchInsert(db, 'avatar', ['id', 'link', 'name'], {
    onFlush: (n) => progress('avatar', n),
  });
  for (let i = 1; i <= counts.avatar; i++) {
    await batch.add([
      i,
      `https://stories.example/avatars/${rand.hex(16)}.svg`,
      rand.maybe(0.3, () => rand.pick(SPEAKER_VOICES)),
    ]);
  }
  await batch.flush();
}

export async function insertSpeakers(
  db: Queryable,
  seed: number,
  languages: readonly SampleLanguage[],
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.speaker);
  const batch = new BatchInsert(
    db,
    'speaker',
    ['id', 'language_id', 'speaker', 'gender', 'type', 'service'],
    {
      onFlush: (n) => progress('speaker', n),
    },
  );
  let id = 0;
  for (const language of languages) {
    for (let j = 0; j < SPEAKERS_PER_LANGUAGE; j++) {
      await batch.add([
        ++id,
        language.id,
        speakerName(language, j),
        rand.pick(['MALE', 'FEMALE']),
        rand.pick(['NORMAL', 'NEURAL']),
        rand.pick(SPEAKER_SERVICES),
      ]);
    }
  }
  await batch.flush();
}

export async function insertLocalizations(
  db: Queryable,
  seed: number,
  languages: readonly SampleLanguage[],
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.localization);
  const batch = new BatchInsert(db, 'localization', ['id', 'language_id', 'tag', 'text'], {
    onFlush: (n) => progress('localization', n),
  });
  let id = 0;
  for (const language of languages) {
    const words = wordsFor(language.script);
    for (const tag of LOCALIZATION_TAGS.slice(0, TAGS_PER_LANGUAGE)) {
      const length = rand.int(1, 4);
      const text = Array.from({ length }, () => rand.pick(words)).join(' ');
      await batch.add([++id, language.id, tag, text]);
    }
  }
  await batch.flush();
}

export async function insertAvatarMappings(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  languages: readonly SampleLanguage[],
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.avatarMapping);
  const batch = new BatchInsert(
    db,
    'avatar_mapping',
    ['id', 'avatar_id', 'language_id', 'name', 'speaker'],
    {
      onFlush: (n) => progress('avatar_mapping', n),
    },
  );
  // Distinct languages per avatar: offsets j * step for j < MAPPINGS_PER_AVATAR stay below languages.length.
  const step = Math.max(1, Math.floor(languages.length / MAPPINGS_PER_AVATAR));
  let id = 0;
  for (let a = 0; a < counts.avatar; a++) {
    for (let j = 0; j < MAPPINGS_PER_AVATAR; j++) {
      const language = languages[(a + j * step) % languages.length]!;
      await batch.add([
        ++id,
        a + 1,
        language.id,
        rand.maybe(0.4, () => rand.pick(wordsFor(language.script))),
        rand.maybe(0.5, () => speakerName(language, rand.int(0, SPEAKERS_PER_LANGUAGE - 1))),
      ]);
    }
  }
  await batch.flush();
}
