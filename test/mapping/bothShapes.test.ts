/**
 * A row read with node-postgres and the same row as the capture trigger's
 * to_jsonb image must map to the same Convex values and canonical hash, or
 * parity would report drift on a clean mirror.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppSchema } from '../../src/app/schema.js';
import { canonicalHash, mapRow } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

const SEED = `
INSERT INTO image VALUES ('img-ü', 'a.svg', 'g.svg', 'l.svg', 'ff0000', '00ff00');
INSERT INTO language (id, name, short, flag, flag_file, speaker, default_text, tts_replace, public, rtl) VALUES
  (1, 'עברית', 'he', 'NaN', NULL, NULL, 'שלום', NULL, true, true),
  (2, 'English', 'en', '-0', 'en.svg', 'en-US-Jenny', NULL, 'a|b', false, false),
  (3, '日本語', 'ja', 1.5e-7, NULL, NULL, NULL, NULL, true, false);
INSERT INTO avatar VALUES (1, 'https://x/a.png', NULL);
INSERT INTO speaker VALUES (1, 1, 'he-IL-Avri', 'MALE', 'NEURAL', 'azure');
INSERT INTO localization VALUES (1, 3, 'button_next', '次へ');
INSERT INTO avatar_mapping VALUES (1, 1, 2, 'Duo', NULL);
INSERT INTO course (id, short, learning_language, from_language, public, official, name, about, conlang, tags, count,
  learning_language_name, from_language_name, contributors, contributors_past, todo_count) VALUES
  (1, 'he-en', 1, 2, true, false, NULL, 'about', NULL, ARRAY['ספר', NULL, 'b'], 4, 'עברית', 'English', '{}', ARRAY['Ann'], 0);
INSERT INTO story (id, duo_id, name, set_id, set_index, author, author_change, date, change_date, date_published, text,
  public, image, course_id, json, status, deleted, todo_count) VALUES
  (1, 'd1', 'סיפור', 1, 1, NULL, NULL, '2024-01-02 03:04:05.123987+05:30', '1969-12-31 23:59:59.999999+00', 'infinity',
   'line one\nשורה', true, 'img-ü', 1, '{"ключ": {"$x": [1, 2.5, null, "é"]}, "_id": true, "plain": {"a": []}}', 'feedback', false, 3),
  (2, NULL, NULL, 1, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0);
INSERT INTO story_approval VALUES (1, 1, NULL, '2000-02-29 12:00:00.5+00');
INSERT INTO story_done VALUES (1, NULL, 1, '0044-03-15 12:00:00+00 BC');
`;

describe.each(backends)('pg rows and to_jsonb images map alike [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await db.pool.query(SEED);
  });

  afterAll(async () => {
    await db?.close();
  });

  it.each(STORY_SITE_TABLES.tables.map((t) => t.name))('%s', async (table) => {
    const plain = await db.pool.query(`SELECT * FROM "${table}" ORDER BY id`);
    const images = await db.pool.query(`SELECT to_jsonb(t) AS row FROM "${table}" t ORDER BY id`);
    expect(plain.rows.length).toBeGreaterThan(0);
    expect(images.rows).toHaveLength(plain.rows.length);
    plain.rows.forEach((row: Record<string, unknown>, i: number) => {
      const fromPg = mapRow(table, row, STORY_SITE_TABLES);
      const fromImage = mapRow(table, (images.rows[i] as { row: Record<string, unknown> }).row, STORY_SITE_TABLES);
      expect(fromImage).toEqual(fromPg);
      expect(canonicalHash(table, fromImage.columns, STORY_SITE_TABLES)).toBe(canonicalHash(table, fromPg.columns, STORY_SITE_TABLES));
    });
  });

  it('maps the edge values as documented', async () => {
    const story = mapRow(
      'story',
      (await db.pool.query('SELECT * FROM story WHERE id = 1')).rows[0],
     STORY_SITE_TABLES);
    expect(story.columns.date).toBe(Date.UTC(2024, 0, 1, 21, 34, 5, 123));
    expect(story.columns.change_date).toBe(-1);
    expect(story.columns.date_published).toBe(Infinity);
    expect(story.columns.json).toEqual({
      '~tandem_keys': ['_id', 'plain', 'ключ'],
      '~tandem_values': [
        true,
        { a: [] },
        { '~tandem_keys': ['$x'], '~tandem_values': [[1, 2.5, null, 'é']] },
      ],
    });
    const languages = (await db.pool.query('SELECT * FROM language ORDER BY id')).rows.map((r) =>
      mapRow('language', r, STORY_SITE_TABLES),
    );
    expect(languages.map((l) => l.columns.flag)).toEqual([NaN, 0, 1.5e-7]);
    const course = mapRow('course', (await db.pool.query('SELECT * FROM course')).rows[0], STORY_SITE_TABLES);
    expect(course.columns.tags).toEqual(['ספר', null, 'b']);
    expect(course.columns.contributors).toEqual([]);
  });
});
