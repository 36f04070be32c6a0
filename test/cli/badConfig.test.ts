/**
 * Bad input in the project config, through the CLI (issue 10, "Bad input"):
 * an unknown key, a wrong type, a bad tool or application schema name, a
 * schema, table or column that does not exist. Each stops the command with
 * exit code 2 and one line on stderr naming the file and the key (and the
 * table and column), and nothing is installed: `init` leaves no tool schema
 * behind (init checks the tables, columns and keys against the database
 * first, as plan and capture install do), `capture install` no trigger and
 * no outbox row.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import { APP_SCHEMA, createAwkwardApp, TOOL, userSchemas, type AwkwardApp } from './awkwardFixture.js';

const backends = await availableBackends();

describe.each(backends)('a bad project config is refused with exit 2 through the CLI [%s]', (backend) => {
  let app: AwkwardApp;
  let file: string;
  const config = (value: object) => ({ schema: APP_SCHEMA, toolSchema: TOOL.name, ...value });
  const writeConfig = (value: object) => fs.writeFileSync(file, JSON.stringify(value));
  const refusedWith = async (value: object, args: string[]) => {
    writeConfig(value);
    return app.tandemExit(args);
  };

  beforeAll(async () => {
    app = await createAwkwardApp(backend);
    file = path.join(app.dir, 'tandem.config.json');
  }, 120_000);
  afterAll(() => app?.close());

  it('refuses a malformed config before touching the database: init leaves no tool schema', async () => {
    const cases: Array<[object, string]> = [
      [config({ tabels: ['x'] }), '(root): unknown key "tabels" (not a setting)'],
      [config({ convex: { url: 'x' } }), 'convex: unknown key "url" (not a setting of convex)'],
      [config({ exclude: 'note' }), 'exclude: Invalid input: expected array, received string'],
      [config({ mirror: { waitMs: '5' } }), 'mirror.waitMs: Invalid input: expected number, received string'],
      [config({ toolSchema: 'a$b' }), 'toolSchema: "a$b" contains "$", which Tandem does not allow in its schema name'],
      [config({ toolSchema: 'pg_tool' }), 'toolSchema: "pg_tool": names starting with pg_ are reserved by PostgreSQL'],
      [config({ toolSchema: APP_SCHEMA }), `toolSchema: must differ from the application schema "${APP_SCHEMA}"`],
      [config({ schema: '' }), 'schema: must not be empty'],
    ];
    // Every command loads the config the same way before anything else: init for each case, and
    // capture install and plan for the first.
    for (const [index, [value, message]] of cases.entries()) {
      for (const command of index === 0 ? [['init'], ['capture', 'install'], ['plan']] : [['init']]) {
        const result = await refusedWith(value, command);
        expect(result, `${command.join(' ')} ${JSON.stringify(value)}`).toEqual({
          code: 2,
          stdout: '',
          stderr: `tandem: ${file}: ${message}\n`,
        });
      }
    }
    expect(await userSchemas(app.db)).toEqual([APP_SCHEMA]);
  }, 120_000);

  it('refuses a schema, table or column the database does not have: init leaves no tool schema', async () => {
    const cases: Array<[object, string]> = [
      [config({ schema: 'nope' }), 'schema: schema nope does not exist in the database'],
      [
        config({ include: ['account', 'ghost'] }),
        'include: table "My App-""2""".ghost does not exist (or is not an ordinary or partitioned table)',
      ],
      [config({ heavy: { entry: { columns: ['note', 'ghost'] } } }), 'heavy.entry.columns: column entry.ghost does not exist'],
      [config({ keys: { ghost: ['id'] } }), 'keys.ghost: table "My App-""2""".ghost does not exist'],
    ];
    for (const [value, message] of cases) {
      const result = await refusedWith(value, ['init']);
      expect(result, JSON.stringify(value)).toEqual({ code: 2, stdout: '', stderr: `tandem: ${file}: ${message}\n` });
    }
    expect(await userSchemas(app.db)).toEqual([APP_SCHEMA]);
  }, 120_000);

  it('refuses a schema, table or column the database does not have: capture install installs nothing', async () => {
    writeConfig(config({}));
    await app.tandem(['init']);
    const cases: Array<[object, string]> = [
      [config({ schema: 'nope' }), 'schema: schema nope does not exist in the database'],
      [config({ schema: 'My App' }), 'schema: schema "My App" does not exist in the database'],
      [
        config({ include: ['account', 'ghost'] }),
        'include: table "My App-""2""".ghost does not exist (or is not an ordinary or partitioned table)',
      ],
      [
        config({ include: ['account', 'gauge'] }),
        'include: gauge: column name "Level" is not a Convex field name ([a-z][a-z0-9_]*): rename the column, or list the table in exclude',
      ],
      [config({ heavy: { ghost: { columns: ['x'] } } }), 'heavy: table "My App-""2""".ghost does not exist (or is not an ordinary or partitioned table)'],
      [config({ heavy: { entry: { columns: ['note', 'ghost'] } } }), 'heavy.entry.columns: column entry.ghost does not exist'],
      [config({ heavy: { entry: { columns: ['seq'] } } }), 'heavy.entry.columns: column entry.seq is in the key; a heavy column cannot be'],
      [config({ keys: { note: ['ghost'] } }), 'keys.note: column note.ghost does not exist'],
    ];
    for (const [value, message] of cases) {
      const result = await refusedWith(value, ['capture', 'install']);
      expect(result, JSON.stringify(value)).toEqual({ code: 2, stdout: '', stderr: `tandem: ${file}: ${message}\n` });
    }
    expect(await refusedWith(config({ schema: 'nope' }), ['plan'])).toMatchObject({
      code: 2,
      stderr: `tandem: ${file}: schema: schema nope does not exist in the database\n`,
    });

    const triggers = await app.db.pool.query(
      `SELECT tgname FROM pg_catalog.pg_trigger WHERE NOT tgisinternal`,
    );
    expect(triggers.rows).toEqual([]);
    const state = await app.db.pool.query(
      `SELECT (SELECT count(*)::int FROM ${TOOL.sql}.outbox) AS outbox,
              (SELECT count(*)::int FROM ${TOOL.sql}.captured_table) AS captured`,
    );
    expect(state.rows).toEqual([{ outbox: 0, captured: 0 }]);
  }, 120_000);
});
