/**
 * The rows the write-path benchmark draws its inputs from, read once from the
 * sample database before any write. Every database of a run holds the same
 * sample (same seed and scale), so the same world serves all of them.
 */
import type { Image, Language } from '../../examples/story-site/src/app/reads/types.js';
import type { Queryable } from '../../src/postgres/database.js';

export interface StoryRow {
  id: number;
  duo_id: string | null;
  name: string | null;
  image: string | null;
  set_id: number;
  set_index: number;
  course_id: number;
  text: string | null;
  json: unknown;
  todo_count: number;
}

export interface CourseRow {
  id: number;
  learning_language: number;
  from_language: number;
  public: boolean;
  official: boolean;
  conlang: boolean;
  name: string | null;
  about: string | null;
  tags: string[] | null;
}

/** Whole language and image rows: the shapes the read paths already return. */
export type LanguageRow = Language;
export type ImageRow = Image;

export interface SpeakerRow {
  id: number;
  language_id: number;
  speaker: string;
  gender: 'MALE' | 'FEMALE';
  type: 'NORMAL' | 'NEURAL';
  service: string;
}

export interface WriteWorld {
  /** Live stories with a course (the ones every story write path accepts). */
  stories: StoryRow[];
  courses: CourseRow[];
  languages: LanguageRow[];
  images: ImageRow[];
  avatars: Array<{ id: number; link: string; name: string | null }>;
  speakers: SpeakerRow[];
  localizations: Array<{ language_id: number; tag: string }>;
  /** Legacy user ids present (1..userCount). */
  userCount: number;
}

async function all<T>(db: Queryable, sql: string): Promise<T[]> {
  return (await db.query(sql)).rows as T[];
}

export async function loadWriteWorld(db: Queryable): Promise<WriteWorld> {
  const users = await all<{ n: number }>(db, 'SELECT max(id)::int AS n FROM users');
  return {
    stories: await all<StoryRow>(
      db,
      `SELECT id, duo_id, name, image, set_id, set_index, course_id, text, json, todo_count
         FROM story WHERE NOT coalesce(deleted, false) AND course_id IS NOT NULL ORDER BY id`,
    ),
    courses: await all<CourseRow>(
      db,
      `SELECT id, learning_language, from_language, public, official, coalesce(conlang, false) AS conlang,
              name, about, tags FROM course ORDER BY id`,
    ),
    languages: await all<LanguageRow>(
      db,
      'SELECT id, name, short, flag, flag_file, speaker, default_text, tts_replace, public, rtl FROM language ORDER BY id',
    ),
    images: await all<ImageRow>(
      db,
      'SELECT id, active, gilded, locked, active_lip, gilded_lip FROM image ORDER BY id',
    ),
    avatars: await all(db, 'SELECT id, link, name FROM avatar ORDER BY id'),
    speakers: await all<SpeakerRow>(
      db,
      'SELECT id, language_id, speaker, gender::text AS gender, type::text AS type, service FROM speaker ORDER BY id',
    ),
    localizations: await all(db, 'SELECT language_id, tag FROM localization ORDER BY id'),
    userCount: users[0]!.n,
  };
}
