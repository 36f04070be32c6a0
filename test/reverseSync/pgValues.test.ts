/**
 * The inverse mapping, Convex values → Postgres, on the all-types fixture
 * (every column type the mapping supports, arrays, domains, BC and infinite
 * timestamps, a generated column, a composite key with a timestamptz part):
 * rows read and mapped as parity maps them, deleted, written back through the
 * reverse-sync apply, read and mapped again: identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyReverseChange } from '../../src/reverseSync/applyToPostgres.js';
import { millisToTimestampText } from '../../src/reverseSync/pgValues.js';
import { requireTable } from '../../src/mapping/index.js';
import { withTransaction } from '../../src/postgres/database.js';
import type { ChangeLogEntry } from '../../src/reverseSync/changeLog.js';
import { openAllTypesDatabase, type AllTypesDatabase } from '../support/allTypesDatabase.js';
import { availableBackends } from '../support/db.js';
import { parityRows } from '../support/readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

describe('millisToTimestampText', () => {
  it('prints UTC text Postgres reads back: microseconds, BC years, years past 9999, infinities', () => {
    expect(millisToTimestampText(0, true)).toBe('1970-01-01 00:00:00.000000+00');
    expect(millisToTimestampText(-0.001, true)).toBe('1969-12-31 23:59:59.999999+00');
    expect(millisToTimestampText(1_709_208_000_123.456, false)).toBe('2024-02-29 12:00:00.123456');
    expect(millisToTimestampText(-63_517_780_800_000, true)).toBe(
      '0044-03-15 12:00:00.000000+00 BC',
    );
    expect(millisToTimestampText(253_402_300_800_000, false)).toBe('10000-01-01 00:00:00.000000');
    expect(millisToTimestampText(Infinity, true)).toBe('infinity');
    expect(millisToTimestampText(-Infinity, false)).toBe('-infinity');
  });
});

describe.each(await availableBackends())(
  'Convex values back into Postgres, every type [%s]',
  (backend) => {
    let fixture: AllTypesDatabase;
    beforeAll(async () => {
      fixture = await openAllTypesDatabase(backend);
    });
    afterAll(() => fixture?.db.close());

    for (const tableName of ['all_types', 'all_key_types']) {
      it(`${tableName}: delete, re-apply from the mapped rows, and read the same mapped rows`, async () => {
        const { pool } = fixture.db;
        const table = requireTable(fixture.config, tableName);
        const before = await parityRows(pool, table);
        expect(before.size).toBeGreaterThanOrEqual(3);
        let version = 1000;
        const entries: ChangeLogEntry[] = [...before.values()].map((row) => ({
          seq: ++version,
          table: tableName,
          pgKey: row.key,
          op: 'upsert',
          version,
          doc: row.columns,
          loggedAt: 0,
        }));
        const deletes: ChangeLogEntry[] = [...before.values()].map((row) => ({
          seq: ++version,
          table: tableName,
          pgKey: row.key,
          op: 'delete',
          version,
          loggedAt: 0,
        }));
        await withTransaction(
          pool,
          async (tx) => {
            for (const entry of deletes)
              expect(await applyReverseChange(tx, DEFAULT_TOOL_SCHEMA, fixture.config, entry)).toBe('applied');
          },
          { settings: { 'tandem.reverse_sync': 'on' } },
        );
        expect((await parityRows(pool, table)).size).toBe(0);
        // Versions above the deletes: the keys come back.
        const reinserts = entries.map((e) => ({
          ...e,
          seq: e.seq + 1000,
          version: e.version + 1000,
        }));
        await withTransaction(
          pool,
          async (tx) => {
            for (const entry of reinserts)
              expect(await applyReverseChange(tx, DEFAULT_TOOL_SCHEMA, fixture.config, entry)).toBe('applied');
          },
          { settings: { 'tandem.reverse_sync': 'on' } },
        );
        const after = await parityRows(pool, table);
        expect([...after.keys()]).toEqual([...before.keys()]);
        for (const [key, row] of before) expect(after.get(key)!.columns, key).toEqual(row.columns);
        // The older upserts are no-ops now.
        await withTransaction(pool, async (tx) => {
          for (const entry of entries)
            expect(await applyReverseChange(tx, DEFAULT_TOOL_SCHEMA, fixture.config, entry)).toBe('skipped');
        });
      });
    }
  },
);
