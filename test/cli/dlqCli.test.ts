/**
 * `tandem dlq retry|discard` bad input through the built CLI: no id (or an id
 * and --all), an id that is not a whole number >= 1, each answered with the
 * CLI's `tandem: id: …` and exit 2 (not a stack trace), with the dead letter
 * left as it was; a good id still retries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedTandem, runTandem } from '../support/cliRun.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('tandem dlq bad input [pglite]', () => {
  let db: TestDatabase;
  let dir: string;
  const deadLetters = async () =>
    (await db.pool.query('SELECT id::int, key, resolution FROM tandem.dead_letter ORDER BY id')).rows;
  const outbox = async () => (await db.pool.query('SELECT table_name, key FROM tandem.outbox ORDER BY seq')).rows;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await db.pool.query('CREATE TABLE item (id int PRIMARY KEY, name text)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-dlq-'));
    await runTandem(dir, db.url, ['init']);
    await db.pool.query(
      `INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, "row", reason, attempts)
       VALUES (7, pg_current_xact_id(), 'item', '1', 'insert', '{"id": 1, "name": "a"}', 'could not connect', 8)`,
    );
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a missing or malformed id with tandem: id: … and exit 2, changing nothing', async () => {
    const before = await deadLetters();
    const cases: Array<[string[], string]> = [
      [['dlq', 'retry'], 'tandem: id: give one id, or --all\n'],
      [['dlq', 'retry', '1', '--all'], 'tandem: id: give one id, or --all\n'],
      [['dlq', 'retry', 'x'], 'tandem: id: a dead-letter id is a whole number >= 1 (got "x")\n'],
      [['dlq', 'discard', '0'], 'tandem: id: a dead-letter id is a whole number >= 1 (got "0")\n'],
    ];
    const got: Array<[string[], number, string]> = [];
    for (const [args] of cases) {
      const no = await refusedTandem(dir, db.url, args);
      got.push([args, no.code, no.stderr]);
    }
    expect(got).toEqual(cases.map(([args, stderr]) => [args, 2, stderr]));
    expect(await deadLetters()).toEqual(before);
    expect(await outbox()).toEqual([]);
  }, 120_000);

  it('retries a dead letter given by a good id', async () => {
    expect((await runTandem(dir, db.url, ['dlq', 'retry', '1'])).stdout).toBe('retried 1 dead letter(s): 1\n');
    expect(await deadLetters()).toEqual([{ id: 1, key: '1', resolution: 'retried' }]);
    expect(await outbox()).toEqual([{ table_name: 'item', key: '1' }]);
  }, 120_000);
});
