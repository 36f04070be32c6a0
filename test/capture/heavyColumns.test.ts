/**
 * The generated trigger function of a table with heavy columns (story: text and
 * json, kept by Convex in a companion table) leaves them out of an update's
 * image when the update did not change them, and names them in `unchanged`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureFunctionName, captureStatus, installCapture, uninstallCapture } from '../../src/capture/index.js';
import { findTable, type MirrorConfig } from '../../src/mapping/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { outboxEvents, prepareCaptureDatabase, resetCapture } from './captureFixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

/** A mirror of one public table `name` (int key `id`, the other columns text) whose `heavy` columns are companion content. */
function oneTableMirror(name: string, columns: Array<{ name: string; nullable: boolean }>, heavy: string[]): MirrorConfig {
  return {
    schema: 'public',
    tables: [
      {
        schema: 'public',
        name,
        columns: [
          { name: 'id', type: 'int4', nullable: false },
          ...columns.map((c) => ({ ...c, type: 'text' as const })),
        ],
        primaryKey: ['id'],
        foreignKeys: [],
        heavy: { table: `${name}_content`, columns: heavy },
      },
    ],
  };
}

describe.each(backends)('capture of heavy columns [%s]', (backend) => {
  let db: TestDatabase;
  const sql = (text: string, params: unknown[] = []) => db.pool.query(text, params);
  const storyEvents = async () =>
    (await outboxEvents(db.pool)).map((e) => ({
      op: e.op,
      key: e.key,
      unchanged: e.unchanged ?? null,
      heavy: e.row ? { text: e.row.text, json: e.row.json } : null,
      name: e.row?.name,
    }));

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCaptureDatabase(db.pool);
  });
  beforeEach(async () => {
    await resetCapture(db.pool);
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['story', 'course'] });
  });
  afterAll(() => db.close());

  it('leaves unchanged text and json out of an update, and keeps every other column', async () => {
    await sql(`UPDATE story SET name = 'renamed', public = true WHERE id = 2`);
    const [event] = await outboxEvents(db.pool);
    expect(event!.unchanged).toEqual(['text', 'json']);
    const story = findTable(STORY_SITE_TABLES, 'story')!;
    expect(Object.keys(event!.row!).sort()).toEqual(
      story.columns
        .map((c) => c.name)
        .filter((c) => c !== 'text' && c !== 'json')
        .sort(),
    );
    expect(event!.row).toMatchObject({ id: 2, name: 'renamed', public: true });
  });

  it('carries both heavy columns whenever either changed, on insert, and when the key changes', async () => {
    await sql(`UPDATE story SET text = 'new text' WHERE id = 1`);
    await sql(`UPDATE story SET json = '{"n": 20}' WHERE id = 2`);
    await sql(`UPDATE story SET text = NULL, name = 'n3' WHERE id = 3`);
    await sql(`INSERT INTO story (id, duo_id, set_id, set_index, course_id, text, json)
               VALUES (9, 'duo-9', 1, 9, 1, 't9', '{"n": 9}')`);
    await sql(`UPDATE story SET id = 10, name = 'moved' WHERE id = 4`);
    expect(await storyEvents()).toEqual([
      {
        op: 'update',
        key: '1',
        unchanged: null,
        heavy: { text: 'new text', json: { n: 1 } },
        name: 'Story 1',
      },
      {
        op: 'update',
        key: '2',
        unchanged: null,
        heavy: { text: 'text 2', json: { n: 20 } },
        name: 'Story 2',
      },
      {
        op: 'update',
        key: '3',
        unchanged: null,
        heavy: { text: null, json: { n: 3 } },
        name: 'n3',
      },
      {
        op: 'insert',
        key: '9',
        unchanged: null,
        heavy: { text: 't9', json: { n: 9 } },
        name: null,
      },
      { op: 'delete', key: '4', unchanged: null, heavy: null, name: undefined },
      {
        op: 'insert',
        key: '10',
        unchanged: null,
        heavy: { text: 'text 4', json: { n: 4 } },
        name: 'moved',
      },
    ]);
  });

  it('writes nothing for an update that sets every column to what it was, heavy ones included', async () => {
    await sql(`UPDATE story SET text = 'text 1', json = '{"n": 1}', name = name WHERE id = 1`);
    await sql(`UPDATE story SET text = NULL WHERE id = 2`);
    await sql(`UPDATE story SET text = NULL WHERE id = 2`);
    expect(await storyEvents()).toEqual([
      {
        op: 'update',
        key: '2',
        unchanged: null,
        heavy: { text: null, json: { n: 2 } },
        name: 'Story 2',
      },
    ]);
  });

  it('never leaves out a column of a domain type (a NOT NULL domain could not be cleared): the write succeeds', async () => {
    await sql(
      `DO $$ BEGIN CREATE DOMAIN capture_nn_text AS text NOT NULL; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    await sql(
      `CREATE TABLE IF NOT EXISTS capture_dom (id int PRIMARY KEY, name text, body capture_nn_text, note text)`,
    );
    await sql(`TRUNCATE capture_dom`);
    await sql(`INSERT INTO capture_dom VALUES (1, 'a', 'long body', 'long note')`);
    const mirror = oneTableMirror(
      'capture_dom',
      [
        { name: 'name', nullable: true },
        { name: 'body', nullable: false },
        { name: 'note', nullable: true },
      ],
      ['body', 'note'],
    );
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_dom'], mirror });
    await sql(`UPDATE capture_dom SET name = 'b' WHERE id = 1`);
    const [event] = await outboxEvents(db.pool);
    expect(event!.unchanged).toEqual(['note']);
    expect(event!.row).toEqual({ id: 1, name: 'b', body: 'long body' });
  });

  it('tables without heavy columns always carry the whole row', async () => {
    await sql(`UPDATE course SET name = 'x' WHERE id = 1`);
    const [event] = await outboxEvents(db.pool);
    expect(event!.unchanged).toBeUndefined();
    expect(event!.row).toMatchObject({ id: 1, name: 'x', short: 'ar-en' });
  });

  it('a trigger generated for other heavy columns is stale; installing again regenerates it', async () => {
    const withoutHeavy: MirrorConfig = {
      schema: STORY_SITE_TABLES.schema,
      tables: STORY_SITE_TABLES.tables.map((t) =>
        t.name === 'story' ? { ...t, heavy: undefined } : t,
      ),
    };
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['story'], mirror: withoutHeavy });
    const state = async () =>
      (await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES)).find((s) => s.table === 'story')!.state;
    expect(await state()).toBe('stale');
    await sql(`UPDATE story SET name = 'full' WHERE id = 1`);
    expect((await outboxEvents(db.pool)).at(-1)!.row).toMatchObject({
      name: 'full',
      text: 'text 1',
    });
    expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['story'] }))[0]!.action).toBe('updated');
    expect(await state()).toBe('enabled');
    const fn = await sql(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1`, [
      captureFunctionName('story'),
    ]);
    expect(fn.rows[0].n).toBe(1);
  });

  describe('the heavy-listed mark (migration 0021): heavy columns are compared only once an update lists one', () => {
    const inOneTransaction = async (statements: string[]) => {
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        const marks: Array<string | null> = [];
        for (const statement of statements) {
          await client.query(statement);
          const { rows } = await client.query(`SELECT current_setting('tandem.heavy_listed', true) AS mark`);
          marks.push(rows[0].mark || null);
        }
        await client.query('COMMIT');
        return marks;
      } finally {
        client.release();
      }
    };

    it('installs a BEFORE UPDATE OF text, json statement trigger on story; the mark is set by the first update listing one', async () => {
      const trigger = await sql(
        `SELECT tgtype::int AS type, (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
                 WHERE attrelid = tgrelid AND attnum = ANY (tgattr::int2[])) AS columns
           FROM pg_trigger WHERE tgrelid = 'story'::regclass AND tgname = 'tandem_capture_heavy'`,
      );
      expect(trigger.rows).toEqual([{ type: 18, columns: ['json', 'text'] }]);
      const marks = await inOneTransaction([
        `UPDATE story SET name = 'a' WHERE id = 1`,
        `UPDATE story SET text = 'changed' WHERE id = 2`,
        `UPDATE story SET name = 'b' WHERE id = 3`,
        `INSERT INTO story (id, duo_id, set_id, set_index, course_id, text, json) VALUES (4, 'd', 1, 4, 1, 'x', '{}')
           ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
      ]);
      expect(marks).toEqual([null, 'on', 'on', 'on']);
      expect(await storyEvents()).toEqual([
        { op: 'update', key: '1', unchanged: ['text', 'json'], heavy: { text: undefined, json: undefined }, name: 'a' },
        { op: 'update', key: '2', unchanged: null, heavy: { text: 'changed', json: { n: 2 } }, name: 'Story 2' },
        { op: 'update', key: '3', unchanged: ['text', 'json'], heavy: { text: undefined, json: undefined }, name: 'b' },
        { op: 'update', key: '4', unchanged: null, heavy: { text: 'text 4', json: {} }, name: 'Story 4' },
      ]);
    });

    it('a heavy column changed by MERGE is carried', async () => {
      await sql(`MERGE INTO story s USING (VALUES (5, 'merged')) v(id, t) ON s.id = v.id
                 WHEN MATCHED THEN UPDATE SET text = v.t`);
      expect(await storyEvents()).toEqual([
        { op: 'update', key: '5', unchanged: null, heavy: { text: 'merged', json: { n: 5 } }, name: 'Story 5' },
      ]);
    });

    it('a table with a BEFORE UPDATE row trigger keeps comparing: a heavy column that trigger changes is carried', async () => {
      await sql(`DROP TABLE IF EXISTS capture_stamped`);
      await sql(`CREATE TABLE capture_stamped (id int PRIMARY KEY, name text, body text)`);
      await sql(`CREATE OR REPLACE FUNCTION capture_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN NEW.body := NEW.body || ' (renamed ' || NEW.name || ')'; RETURN NEW; END $$`);
      await sql(`CREATE TRIGGER stamp BEFORE UPDATE ON capture_stamped FOR EACH ROW EXECUTE FUNCTION capture_stamp()`);
      await sql(`INSERT INTO capture_stamped VALUES (1, 'a', 'body')`);
      const mirror = oneTableMirror('capture_stamped', [{ name: 'name', nullable: true }, { name: 'body', nullable: true }], ['body']);
      await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_stamped'], mirror });
      const marks = await sql(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'capture_stamped'::regclass AND tgname = 'tandem_capture_heavy'`);
      expect(marks.rows[0].n).toBe(0);
      await sql(`UPDATE capture_stamped SET name = 'b' WHERE id = 1`);
      const events = await outboxEvents(db.pool);
      expect(events.map((e) => ({ unchanged: e.unchanged ?? null, row: e.row }))).toEqual([
        { unchanged: null, row: { id: 1, name: 'b', body: 'body (renamed b)' } },
      ]);
    });

    it('is stale when the mark trigger is gone or a BEFORE UPDATE row trigger appears; installing again fixes either, uninstalling drops it', async () => {
      const state = async () =>
        (await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES)).find((s) => s.table === 'story')!.state;
      const markTriggers = async () =>
        (await sql(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'story'::regclass AND tgname = 'tandem_capture_heavy'`)).rows[0].n;
      expect(await state()).toBe('enabled');
      await sql(`DROP TRIGGER tandem_capture_heavy ON story`);
      expect(await state()).toBe('stale');
      expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['story'] }))[0]!.action).toBe('updated');
      expect(await state()).toBe('enabled');
      expect(await markTriggers()).toBe(1);

      await sql(`CREATE OR REPLACE FUNCTION capture_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`);
      await sql(`CREATE TRIGGER touch BEFORE UPDATE ON story FOR EACH ROW EXECUTE FUNCTION capture_touch()`);
      try {
        expect(await state()).toBe('stale');
        await installCapture(db.pool, { ...storySiteCapture(), tables: ['story'] });
        expect(await state()).toBe('enabled');
        expect(await markTriggers()).toBe(0);
      } finally {
        await sql(`DROP TRIGGER touch ON story`);
      }
      await installCapture(db.pool, { ...storySiteCapture(), tables: ['story'] });
      expect(await markTriggers()).toBe(1);
      await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['story'] });
      expect(await markTriggers()).toBe(0);
    });
  });
});
