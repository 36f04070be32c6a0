import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP_TABLES } from '../../examples/story-site/src/app/schema.js';
import {
  captureStatus,
  installCapture,
  setOperationKey,
  uninstallCapture,
  untrackedWrites,
} from '../../src/capture/index.js';
import { canonicalKey } from '../../src/core/changes.js';
import { InvalidInputError, NotFoundError } from '../../src/core/errors.js';
import { withTransaction } from '../../src/postgres/database.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { snapshotTables } from '../support/appFixture.js';
import { outboxEvents, prepareCaptureDatabase, resetCapture, shapes } from './captureFixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

const LANGUAGE_ROW = {
  id: 4,
  name: 'Français',
  short: 'fr',
  flag: '1.5', // floats travel as text (to_jsonb would print -0 as 0)
  flag_file: null,
  speaker: null,
  default_text: null,
  tts_replace: null,
  public: false,
  rtl: false,
};

describe.each(backends)('capture trigger [%s]', (backend) => {
  let db: TestDatabase;
  const sql = (text: string, params: unknown[] = []) => db.pool.query(text, params);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCaptureDatabase(db.pool);
  });
  beforeEach(() => resetCapture(db.pool));
  afterAll(() => db?.close());

  it('installs on the ten story-site tables by default and records it', async () => {
    const results = await installCapture(db.pool, { ...storySiteCapture(), actor: 'test' });
    expect(results).toEqual(
      APP_TABLES.map((table) => ({
        table,
        action: 'installed',
        keyColumns: ['id'],
        textColumns: table === 'language' ? ['flag'] : [],
      })),
    );
    const status = await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES);
    expect(status.map((s) => [s.table, s.state, s.installed, s.keyColumns])).toEqual(
      APP_TABLES.map((t) => [t, 'enabled', true, ['id']]),
    );
    const recorded = await sql('SELECT table_name, key_columns, installed_by FROM tandem.captured_table ORDER BY 1');
    expect(recorded.rows).toEqual(
      [...APP_TABLES].sort().map((t) => ({ table_name: t, key_columns: ['id'], installed_by: 'test' })),
    );
    const audit = await sql(`SELECT actor, action, target FROM tandem.audit_log ORDER BY id`);
    expect(audit.rows).toEqual(APP_TABLES.map((t) => ({ actor: 'test', action: 'capture.install', target: t })));
  });

  it('captures insert, update and delete on an int key, one txid per transaction, seq increasing', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language'] });
    await sql(`INSERT INTO language (id, name, short, flag) VALUES (4, 'Français', 'fr', 1.5)`);
    await sql(`UPDATE language SET public = true WHERE id = 4`);
    await sql(`DELETE FROM language WHERE id = 4`);
    const events = await outboxEvents(db.pool);
    expect(shapes(events)).toEqual([
      { table: 'language', key: '4', op: 'insert', row: LANGUAGE_ROW, operationKey: null },
      { table: 'language', key: '4', op: 'update', row: { ...LANGUAGE_ROW, public: true }, operationKey: null },
      { table: 'language', key: '4', op: 'delete', row: null, operationKey: null },
    ]);
    expect(events[0]!.seq < events[1]!.seq && events[1]!.seq < events[2]!.seq).toBe(true);
    expect(new Set(events.map((e) => e.txid)).size).toBe(3);
  });

  it('captures a string key (image) and gives all changes of one transaction the same txid', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['image'] });
    await withTransaction(db.pool, async (tx) => {
      await tx.query(`INSERT INTO image VALUES ('img-c', 'c.svg', 'g.svg', 'l.svg', '#111', '#222')`);
      await tx.query(`UPDATE image SET active = 'c2.svg' WHERE id = 'img-c'`);
      await tx.query(`DELETE FROM image WHERE id = 'img-b'`);
    });
    const events = await outboxEvents(db.pool);
    const image = { id: 'img-c', active: 'c.svg', gilded: 'g.svg', locked: 'l.svg', active_lip: '#111', gilded_lip: '#222' };
    expect(shapes(events)).toEqual([
      { table: 'image', key: 'img-c', op: 'insert', row: image, operationKey: null },
      { table: 'image', key: 'img-c', op: 'update', row: { ...image, active: 'c2.svg' }, operationKey: null },
      { table: 'image', key: 'img-b', op: 'delete', row: null, operationKey: null },
    ]);
    expect(new Set(events.map((e) => e.txid)).size).toBe(1);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  });

  it('captures a composite key as a JSON array of texts and carries int8/numeric as exact text', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_pair'] });
    await sql(
      `INSERT INTO capture_pair VALUES ('en', 1, 9007199254740993, 12.5, '{1,9007199254740993}', '{"a": [1, 2.50]}')`,
    );
    await sql(`UPDATE capture_pair SET amount = NULL, counts = '{}' WHERE lang = 'en'`);
    const events = await outboxEvents(db.pool);
    const row = {
      lang: 'en',
      n: 1,
      amount: '9007199254740993',
      price: '12.5000',
      counts: ['1', '9007199254740993'],
      note: { a: [1, 2.5] },
    };
    expect(shapes(events)).toEqual([
      { table: 'capture_pair', key: '["en","1"]', op: 'insert', row, operationKey: null },
      { table: 'capture_pair', key: '["en","1"]', op: 'update', row: { ...row, amount: null, counts: [] }, operationKey: null },
    ]);
    const stored = await sql('SELECT lang, n FROM capture_pair');
    expect(canonicalKey([stored.rows[0].lang, stored.rows[0].n])).toBe(events[0]!.key);
    expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_pair'] }))[0]).toMatchObject({
      keyColumns: ['lang', 'n'],
      textColumns: ['amount', 'price', 'counts'],
    });
  });

  it('computes keys exactly as canonicalKey does, whatever the characters', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'capture_pair'] });
    const odd = 'q"b\\s\n\t\u0001é/ع😀';
    await sql(`INSERT INTO image VALUES ($1, 'a', 'g', 'l', '#1', '#2')`, [odd]);
    await sql(`INSERT INTO capture_pair (lang, n) VALUES ($1, -7)`, [odd]);
    const image = await sql('SELECT id FROM image WHERE id = $1', [odd]);
    const pair = await sql('SELECT lang, n FROM capture_pair');
    expect((await outboxEvents(db.pool)).map((e) => e.key)).toEqual([
      canonicalKey([image.rows[0].id]),
      canonicalKey([pair.rows[0].lang, pair.rows[0].n]),
    ]);
  });

  it('keeps timestamptz, jsonb, enums and arrays as JSON the relay can map', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['story', 'course'] });
    await sql(`UPDATE story SET date_published = '2024-05-06T07:08:09.123Z', status = 'feedback' WHERE id = 2`);
    await sql(`UPDATE course SET tags = '{a,b}' WHERE id = 2`);
    const [story, course] = await outboxEvents(db.pool);
    expect(new Date(story!.row!.date_published as string).toISOString()).toBe('2024-05-06T07:08:09.123Z');
    expect(story!.row).toMatchObject({ id: 2, status: 'feedback', set_id: 1 });
    expect(story!.unchanged).toEqual(['text', 'json']);
    expect(course!.row).toMatchObject({ id: 2, tags: ['a', 'b'], contributors: [], public: false, name: null });
  });

  it('uses the top-level txid inside savepoints and drops events of a rolled-back savepoint', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['avatar'] });
    await withTransaction(db.pool, async (tx) => {
      await tx.query(`UPDATE avatar SET name = 'a' WHERE id = 1`);
      await tx.query('SAVEPOINT s1');
      await tx.query(`UPDATE avatar SET name = 'b' WHERE id = 1`);
      await tx.query('RELEASE SAVEPOINT s1');
      await tx.query('SAVEPOINT s2');
      await tx.query(`UPDATE avatar SET name = 'c' WHERE id = 1`);
      await tx.query('ROLLBACK TO SAVEPOINT s2');
    });
    const events = await outboxEvents(db.pool);
    expect(events.map((e) => e.row?.name)).toEqual(['a', 'b']);
    expect(events[0]!.txid).toBe(events[1]!.txid);
  });

  it('writes nothing for a rolled-back transaction', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language', 'image'] });
    await expect(
      withTransaction(db.pool, async (tx) => {
        await tx.query(`INSERT INTO language (id, name, short) VALUES (9, 'x', 'x')`);
        await tx.query(`UPDATE image SET active = 'z' WHERE id = 'img-a'`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await outboxEvents(db.pool)).toEqual([]);
  });

  it('records the operation key, counts plain writes as untracked per table, and never leaks the key', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language', 'image'] });
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await setOperationKey(client, 'op-123');
      await client.query(`UPDATE language SET flag = 2 WHERE id = 1`);
      await client.query('COMMIT');
      // Same connection, next transaction: the key must be gone.
      await client.query(`UPDATE language SET flag = 3 WHERE id = 1`);
      await client.query('BEGIN');
      await setOperationKey(client, '');
      await client.query(`UPDATE image SET active = 'x' WHERE id IN ('img-a', 'img-b')`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await outboxEvents(db.pool)).map((e) => [e.table, e.key, e.operationKey])).toEqual([
      ['language', '1', 'op-123'],
      ['language', '1', null],
      ['image', 'img-a', null],
      ['image', 'img-b', null],
    ]);
    const untracked = await untrackedWrites(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(untracked.map(({ table, count }) => ({ table, count }))).toEqual([
      { table: 'image', count: 2 },
      { table: 'language', count: 1 },
    ]);
    expect(untracked.every((u) => u.lastSeenAt instanceof Date)).toBe(true);
  });

  it('captures a primary-key change as a delete of the old key and an insert of the new one', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'capture_pair'] });
    await sql(`INSERT INTO image VALUES ('img-old', 'a', 'g', 'l', '#1', '#2')`);
    await sql(`INSERT INTO capture_pair (lang, n) VALUES ('de', 1)`);
    await sql(`TRUNCATE tandem.outbox`);
    await sql(`UPDATE image SET id = 'img-new' WHERE id = 'img-old'`);
    await sql(`UPDATE capture_pair SET n = 2`);
    const events = await outboxEvents(db.pool);
    expect(events.map((e) => [e.table, e.op, e.key, e.row === null ? null : 'row'])).toEqual([
      ['image', 'delete', 'img-old', null],
      ['image', 'insert', 'img-new', 'row'],
      ['capture_pair', 'delete', '["de","1"]', null],
      ['capture_pair', 'insert', '["de","2"]', 'row'],
    ]);
    expect(events[0]!.txid).toBe(events[1]!.txid);
    expect(events[1]!.row).toMatchObject({ id: 'img-new', active: 'a' });
  });

  it('skips an update that changes nothing, even on a table with a json column', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'capture_pair'] });
    await sql(`INSERT INTO capture_pair (lang, n, note) VALUES ('fr', 1, '{"k": 1}')`);
    await sql(`TRUNCATE tandem.outbox`);
    await sql(`UPDATE image SET active = active`);
    await sql(`UPDATE capture_pair SET note = note`);
    expect(await outboxEvents(db.pool)).toEqual([]);
  });

  it('is idempotent: a second install changes nothing', async () => {
    await installCapture(db.pool, { ...storySiteCapture() });
    const audit = (await sql('SELECT count(*)::int AS n FROM tandem.audit_log')).rows[0].n;
    expect((await installCapture(db.pool, { ...storySiteCapture() })).map((r) => r.action)).toEqual(APP_TABLES.map(() => 'unchanged'));
    expect((await sql('SELECT count(*)::int AS n FROM tandem.audit_log')).rows[0].n).toBe(audit);
    const triggers = await sql(
      `SELECT tgrelid::regclass::text AS t, count(*)::int AS n FROM pg_trigger WHERE tgname = 'tandem_capture' GROUP BY 1 ORDER BY 1`,
    );
    expect(triggers.rows).toEqual([...APP_TABLES].sort().map((t) => ({ t, n: 1 })));
  });

  it('re-enables a disabled trigger and refreshes one whose arguments are stale', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'avatar'] });
    await sql('ALTER TABLE image DISABLE TRIGGER tandem_capture');
    await sql(`CREATE OR REPLACE TRIGGER tandem_capture AFTER INSERT OR UPDATE OR DELETE ON avatar
                 FOR EACH ROW EXECUTE FUNCTION tandem.capture_change('1', 'link')`);
    const before = await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES);
    expect(before.filter((s) => ['image', 'avatar'].includes(s.table)).map((s) => [s.table, s.state])).toEqual([
      ['image', 'disabled'],
      ['avatar', 'stale'],
    ]);
    expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'avatar'] })).map((r) => r.action)).toEqual([
      'updated',
      'updated',
    ]);
    await sql(`UPDATE avatar SET name = 'Bea' WHERE id = 1`);
    expect((await outboxEvents(db.pool)).map((e) => [e.table, e.key])).toEqual([['avatar', '1']]);
  });

  it('uninstall removes only the trigger: data untouched, later writes not captured, repeat is a no-op', async () => {
    await installCapture(db.pool, { ...storySiteCapture() });
    const before = await snapshotTables(db.pool);
    const removed = await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', actor: 'test' });
    expect(removed).toEqual([...APP_TABLES].sort().map((table) => ({ table, action: 'removed' })));
    expect(await snapshotTables(db.pool)).toEqual(before);
    expect(await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).toEqual([]);
    expect(await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['story'] })).toEqual([{ table: 'story', action: 'absent' }]);
    await sql(`UPDATE story SET name = 'renamed' WHERE id = 1`);
    expect(await outboxEvents(db.pool)).toEqual([]);
    expect((await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES)).every((s) => s.state === 'absent' && !s.installed)).toBe(true);
    expect((await sql('SELECT count(*)::int AS n FROM tandem.captured_table')).rows[0].n).toBe(0);
  });

  it('captures only the tables it is installed on', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['story_done'] });
    await sql(`INSERT INTO story_done (user_id, story_id) VALUES (1, 1)`);
    await sql(`UPDATE story SET name = 'x' WHERE id = 1`);
    await sql(`UPDATE language SET name = 'y' WHERE id = 1`);
    expect((await outboxEvents(db.pool)).map((e) => [e.table, e.op])).toEqual([['story_done', 'insert']]);
  });

  it('refuses an unknown table, a table without a primary key or with an unsupported key type, installing nothing', async () => {
    await sql('CREATE TABLE IF NOT EXISTS capture_nokey (a int)');
    await sql('CREATE TABLE IF NOT EXISTS capture_floatkey (x float8 PRIMARY KEY)');
    const unknown = await installCapture(db.pool, { ...storySiteCapture(), tables: ['language', 'nope'] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as Error).message).toBe('table "nope" not found');
    await expect(installCapture(db.pool, { ...storySiteCapture(), tables: ['image', 'capture_nokey'] })).rejects.toThrow(
      new InvalidInputError('tables', 'table "capture_nokey" has no primary key'),
    );
    await expect(installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_floatkey'] })).rejects.toThrow(
      'tables: table "capture_floatkey" key column "x" has type float8; capture supports int2, int4, int8, numeric, text, varchar, bpchar, uuid, date, time, timestamp, timestamptz and enum keys',
    );
    await expect(uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['nope'] })).rejects.toThrow('table "nope" not found');
    const triggers = await sql(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'tandem_capture'`);
    expect(triggers.rows[0].n).toBe(0);
    expect((await sql('SELECT count(*)::int AS n FROM tandem.captured_table')).rows[0].n).toBe(0);
  });
});
