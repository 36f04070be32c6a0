/**
 * Ids for a decommissioned table: Convex is its only writer and still creates
 * rows with ids reserved from the key's sequence, which moved (or was renamed)
 * with the table. With the tool schema, a reservation finds the sequence where
 * the decommission kept the table; dropping a table whose key is filled from a
 * sequence is refused, since the sequence would go with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { refillKeyRanges, reserveKeys, type KeyRun } from '../../src/keys/index.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { advancePhase, archiveTable, decommissionTable, PHASES } from '../../src/phases/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const TOOL = DEFAULT_TOOL_SCHEMA;
const backends = await availableBackends();
const CLEAN = { guardReferences: async () => [] };

describe.each(backends)('key reservation after decommission [%s]', (backend) => {
  let db: TestDatabase;
  let mirror: MirrorConfig;
  let root: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, TOOL);
    await db.pool.query(`
      CREATE SCHEMA shop;
      CREATE TABLE shop.item (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE shop.note (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text);
      INSERT INTO shop.item (name) VALUES ('a'), ('b'), ('c');
      INSERT INTO shop.note (body) VALUES ('x');`);
    mirror = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'shop' }, null))).mirror;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-keys-retired-'));
    for (const table of ['item', 'note']) {
      for (const to of PHASES.slice(1, PHASES.indexOf('archived') + 1))
        await advancePhase(db.pool, TOOL, mirror, table, { to, force: true, why: 'keys are what is tested' });
      expect((await archiveTable(db.pool, TOOL, mirror, table, { out: path.join(root, table) })).verified).toBe(true);
    }
  });

  afterAll(async () => {
    await db?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses to drop a table whose key is filled from a sequence, and changes nothing', async () => {
    await expect(
      decommissionTable(db.pool, TOOL, mirror, 'item', { sources: CLEAN, drop: true, why: 'no longer needed' }),
    ).rejects.toThrow(
      `item.id is filled from shop.item_id_seq, which Convex's write paths reserve new ids from: dropping the table would drop it; keep the table (the default, or --rename-to)`,
    );
    const { rows } = await db.pool.query(`SELECT to_regclass('shop.item') IS NOT NULL AS here`);
    expect(rows[0].here).toBe(true);
  });

  it('reserves ids of a table moved into the retired schema, and of one renamed in place', async () => {
    expect(await decommissionTable(db.pool, TOOL, mirror, 'item', { sources: CLEAN })).toEqual({
      table: 'item',
      keptAs: 'tandem_retired.item',
    });
    expect(await decommissionTable(db.pool, TOOL, mirror, 'note', { sources: CLEAN, renameTo: 'Note Retired' })).toEqual({
      table: 'note',
      // As SQL writes it: the awkward name quoted.
      keptAs: 'shop."Note Retired"',
    });
    const item = await reserveKeys(db.pool, { schema: 'shop', table: 'item', column: 'id' }, 2, { tool: TOOL });
    expect(item).toEqual({ table: 'item', sequence: 'tandem_retired.item_id_seq', runs: [{ first: 4, last: 5, step: 1 }], count: 2 });

    const added: Array<[string, KeyRun[]]> = [];
    const store = {
      keysLeft: async () => new Map<string, number>(),
      addRanges: async (table: string, runs: KeyRun[]) => void added.push([table, runs]),
    };
    await refillKeyRanges(db.pool, store, [{ schema: 'shop', table: 'note', column: 'id' }], { lowWater: 3, batch: 3, tool: TOOL });
    expect(added).toEqual([['note', [{ first: 2, last: 4, step: 1 }]]]);

    // Without the tool schema the reservation looks where the table used to be.
    await expect(reserveKeys(db.pool, { schema: 'shop', table: 'item', column: 'id' }, 1)).rejects.toThrow('no column shop.item.id');
  });
});
