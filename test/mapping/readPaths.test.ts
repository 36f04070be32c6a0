/**
 * The story site's rows as the capture trigger records them, as the backfill
 * reads them and as parity reads them must map to the same Convex values and
 * canonical hash, or parity would report drift on a clean mirror.
 * (test/mapping/allTypes.test.ts does the same for every column type.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TABLES, createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { installCapture } from '../../src/capture/index.js';
import { canonicalHash, requireTable } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import {
  backfilledRows,
  canonicalColumns,
  capturedRows,
  parityRows,
} from '../support/readPaths.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

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

describe.each(backends)('capture, backfill and parity rows map alike [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await installCapture(db.pool, { ...storySiteCapture(), tables: APP_TABLES });
    await db.pool.query(SEED);
  });

  afterAll(async () => {
    await db?.close();
  });

  it.each(STORY_SITE_TABLES.tables.map((t) => t.name))('%s', async (name) => {
    const table = requireTable(STORY_SITE_TABLES, name);
    const captured = await capturedRows(db.pool, table, STORY_SITE_TABLES);
    const backfilled = await backfilledRows(db.pool, table, STORY_SITE_TABLES);
    const parity = await parityRows(db.pool, table);
    expect(parity.size).toBeGreaterThan(0);
    expect([...captured.keys()].sort()).toEqual([...parity.keys()].sort());
    expect([...backfilled.keys()].sort()).toEqual([...parity.keys()].sort());
    for (const [key, fromParity] of parity) {
      const fromCapture = captured.get(key)!;
      expect(canonicalColumns(fromCapture.columns), key).toEqual(
        canonicalColumns(fromParity.columns),
      );
      expect(canonicalColumns(backfilled.get(key)!.columns), key).toEqual(
        canonicalColumns(fromParity.columns),
      );
      expect(canonicalHash(table, fromCapture.columns, STORY_SITE_TABLES)).toBe(fromParity.hash);
    }
  });

  it('maps the edge values as documented', async () => {
    const story = (await parityRows(db.pool, requireTable(STORY_SITE_TABLES, 'story'))).get('1')!;
    expect(story.columns.date).toBe(Date.UTC(2024, 0, 1, 21, 34, 5, 123) + 0.987);
    expect(story.columns.change_date).toBe(-0.001);
    expect(story.columns.date_published).toBe(Infinity);
    expect(story.columns.json).toEqual({
      '~tandem_keys': ['_id', 'plain', 'ключ'],
      '~tandem_values': [
        true,
        { a: [] },
        { '~tandem_keys': ['$x'], '~tandem_values': [[1, 2.5, null, 'é']] },
      ],
    });
    const languages = await parityRows(db.pool, requireTable(STORY_SITE_TABLES, 'language'));
    const flags = ['1', '2', '3'].map((k) => languages.get(k)!.columns.flag);
    expect(flags.map(String)).toEqual(['NaN', '0', '1.5e-7']);
    expect(Object.is(flags[1], -0)).toBe(true);
    const course = (await parityRows(db.pool, requireTable(STORY_SITE_TABLES, 'course'))).get('1')!;
    expect(course.columns.tags).toEqual(['ספר', null, 'b']);
    expect(course.columns.contributors).toEqual([]);
  });
});
