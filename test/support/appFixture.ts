/**
 * A small, hand-written story site for write/read tests: two languages, two
 * courses, a set of five stories in course 1, users 1–9 with known names.
 */
import type pg from 'pg';
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import type { Actor, AppDeps } from '../../examples/story-site/src/app/ports.js';
import { StaticUserDirectory } from '../../examples/story-site/src/app/userDirectory.js';
import { withTransaction } from '../../src/postgres/database.js';

export const USER_NAMES = new Map([1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => [id, `name-${id}`]));

export const editor = (userId: number): Actor => ({ userId, role: 'editor' });
export const admin = (userId: number): Actor => ({ userId, role: 'admin' });
export const reader = (userId: number): Actor => ({ userId, role: 'reader' });

export function appDeps(pool: pg.Pool): AppDeps {
  return {
    pool,
    users: new StaticUserDirectory(USER_NAMES),
    runner: { run: (_operation, work) => withTransaction(pool, work) },
  };
}

/**
 * Creates the schema if needed and resets it to the fixture's rows, so one
 * database per file serves every test (a fresh PGlite costs seconds).
 */
export async function seedFixture(pool: pg.Pool): Promise<void> {
  await createAppSchema(pool);
  await pool.query(`
    TRUNCATE users, image, language, avatar, speaker, localization, avatar_mapping, course, story,
             story_approval, story_done RESTART IDENTITY CASCADE;
    INSERT INTO users (id, name) SELECT g, 'name-' || g FROM generate_series(1, 9) g;
    INSERT INTO language (id, name, short, rtl) VALUES (1, 'English', 'en', false), (2, 'العربية', 'ar', true), (3, 'Deutsch', 'de', false);
    SELECT setval(pg_get_serial_sequence('language', 'id'), 3);
    INSERT INTO image (id, active, gilded, locked, active_lip, gilded_lip)
      VALUES ('img-a', 'a.svg', 'g.svg', 'l.svg', '#fff', '#000'), ('img-b', 'b.svg', 'g.svg', 'l.svg', '#fff', '#000');
    INSERT INTO avatar (id, link, name) VALUES (1, 'https://example.org/a1.png', 'Ana');
    SELECT setval(pg_get_serial_sequence('avatar', 'id'), 1);
    INSERT INTO course (id, short, learning_language, from_language, public, name, learning_language_name,
                        from_language_name, count, todo_count)
      VALUES (1, 'ar-en', 2, 1, true, 'Arabic for English speakers', 'العربية', 'English', 0, 3),
             (2, 'de-en', 3, 1, false, NULL, 'Deutsch', 'English', 0, 0);
    SELECT setval(pg_get_serial_sequence('course', 'id'), 2);
    INSERT INTO story (id, duo_id, name, set_id, set_index, author, course_id, image, status, public, todo_count, text, json)
      SELECT g, 'duo-' || g, 'Story ' || g, 1, g, 1, 1, 'img-a', 'draft', false, CASE WHEN g = 1 THEN 3 ELSE 0 END,
             'text ' || g, jsonb_build_object('n', g)
        FROM generate_series(1, 5) g;
    SELECT setval(pg_get_serial_sequence('story', 'id'), 5);
  `);
}

export async function one<T>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await pool.query(sql, params);
  return rows[0] as T;
}

/** md5 of every row of each story-site table, to prove a refused write changed nothing. */
export async function snapshotTables(pool: pg.Pool): Promise<Record<string, string>> {
  const tables = ['language', 'localization', 'image', 'avatar', 'speaker', 'avatar_mapping', 'course', 'story', 'story_approval', 'story_done'];
  const out: Record<string, string> = {};
  for (const t of tables) {
    const { rows } = await pool.query(
      `SELECT count(*)::int || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS h FROM ${t} x`,
    );
    out[t] = rows[0].h;
  }
  return out;
}

/** The fixture plus a fourth language, a third course and stories 6–9 in course 2 (for property tests). */
export async function seedExtendedFixture(pool: pg.Pool): Promise<void> {
  await seedFixture(pool);
  await pool.query(`
      INSERT INTO language (id, name, short) VALUES (4, 'Français', 'fr');
      INSERT INTO course (id, short, learning_language, from_language, name, learning_language_name, from_language_name, count, todo_count)
        VALUES (3, 'fr-de', 4, 3, 'French', 'Français', 'Deutsch', 0, 0);
      INSERT INTO story (id, duo_id, set_id, set_index, course_id, todo_count)
        SELECT g, 'duo-' || g, 1, g - 5, 2, 1 FROM generate_series(6, 9) g;
      UPDATE course SET todo_count = 4 WHERE id = 2;
      SELECT setval(pg_get_serial_sequence('language', 'id'), 4);
      SELECT setval(pg_get_serial_sequence('course', 'id'), 3);
      SELECT setval(pg_get_serial_sequence('story', 'id'), 9);`);
}
