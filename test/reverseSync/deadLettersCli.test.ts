/**
 * `tandem reverse-sync dead-letters list|retry|discard` through the built CLI
 * on the film-rental example: a dead letter Postgres can now take is applied
 * and resolved, one that still fails stays (exit 1), a discard resolves one,
 * and bad input exits 2 naming what was wrong with nothing changed. Needs no
 * Convex: a retry applies the change the dead letter kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedTandem, runTandem } from '../support/cliRun.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = path.join(root, 'examples/film-rental');
const ADA = '00000000-0000-4000-8000-0000000000aa';
const NONAME = '00000000-0000-4000-8000-0000000000bb';

describe('tandem reverse-sync dead-letters on the film-rental schema [pglite]', () => {
  let db: TestDatabase;
  let dir: string;
  const tandem = (args: string[]) => runTandem(dir, db.url, args);
  const refused = (args: string[]) => refusedTandem(dir, db.url, args);
  const deadLetters = async () =>
    (
      await db.pool.query(
        'SELECT id::int, key, attempts, resolution FROM tandem.reverse_sync_dead_letter ORDER BY id',
      )
    ).rows;
  const actors = async () =>
    (await db.pool.query('SELECT first_name, last_name FROM actor WHERE actor_id IN ($1, $2)', [ADA, NONAME])).rows;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await db.pool.query(fs.readFileSync(path.join(example, 'schema.sql'), 'utf8'));
    await db.pool.query(fs.readFileSync(path.join(example, 'seed.sql'), 'utf8'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-rs-dlq-'));
    await tandem(['init']);
    // Two changes the worker gave up on (as it writes them): one whose failure has passed, one that still fails.
    await db.pool.query(
      `INSERT INTO tandem.reverse_sync_dead_letter (seq, table_name, key, op, version, doc, reason, attempts) VALUES
         (7, 'actor', $1, 'upsert', 7, $2, 'could not connect', 8),
         (8, 'actor', $3, 'upsert', 8, $4, 'null value in column "first_name"', 8)`,
      [
        ADA,
        JSON.stringify({ actor_id: ADA, first_name: 'Ada', last_name: 'Lovelace' }),
        NONAME,
        JSON.stringify({ actor_id: NONAME, first_name: null, last_name: 'Nobody' }),
      ],
    );
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists, retries (exit 1 while one still fails) and discards, each resolved once', async () => {
    expect((await tandem(['reverse-sync', 'dead-letters', 'list'])).stdout).toBe(
      `  #1 actor ${ADA} v7 (8 attempts): could not connect\n` +
        `  #2 actor ${NONAME} v8 (8 attempts): null value in column "first_name"\n`,
    );
    const retried = await refused(['reverse-sync', 'dead-letters', 'retry', '--all']);
    expect(retried.code).toBe(1);
    expect(retried.stdout).toMatch(
      new RegExp(
        `^#1 actor ${ADA} v7: applied\\n#2 actor ${NONAME} v8: failed: .*first_name.*\\nretried 2 dead letter\\(s\\), 1 still failing\\n$`,
      ),
    );
    expect(await actors()).toEqual([{ first_name: 'Ada', last_name: 'Lovelace' }]);
    expect(await deadLetters()).toEqual([
      { id: 1, key: ADA, attempts: 8, resolution: 'retried' },
      { id: 2, key: NONAME, attempts: 9, resolution: null },
    ]);
    expect((await tandem(['reverse-sync', 'dead-letters', 'discard', '2', '--reason', 'no name'])).stdout).toBe(
      'discarded reverse-sync dead letter 2\n',
    );
    expect((await tandem(['reverse-sync', 'dead-letters', 'list', '--json'])).stdout).toBe('[]\n');
    expect((await tandem(['reverse-sync', 'dead-letters', 'retry', '--all'])).stdout).toBe(
      'retried 0 dead letter(s), 0 still failing\n',
    );
  }, 120_000);

  it('bad input exits 2 naming what was wrong, and changes nothing', async () => {
    const before = await deadLetters();
    const cases: Array<[string[], string]> = [
      [['reverse-sync', 'dead-letters', 'retry', '1'], 'tandem: reverse-sync dead letter (unresolved) 1 not found\n'],
      [['reverse-sync', 'dead-letters', 'discard', '2'], 'tandem: reverse-sync dead letter (unresolved) 2 not found\n'],
      [['reverse-sync', 'dead-letters', 'retry'], 'tandem: id: give one id, or --all\n'],
      [['reverse-sync', 'dead-letters', 'retry', '1', '--all'], 'tandem: id: give one id, or --all\n'],
      [['reverse-sync', 'dead-letters', 'retry', 'x'], 'tandem: id: a dead-letter id is a whole number >= 1 (got "x")\n'],
      [['reverse-sync', 'dead-letters', 'discard', '0'], 'tandem: id: a dead-letter id is a whole number >= 1 (got "0")\n'],
    ];
    const got: Array<[string[], number, string]> = [];
    for (const [args] of cases) {
      const no = await refused(args);
      got.push([args, no.code, no.stderr]);
    }
    expect(got).toEqual(cases.map(([args, stderr]) => [args, 2, stderr]));
    expect(await deadLetters()).toEqual(before);
  }, 120_000);
});
