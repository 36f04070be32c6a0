/**
 * Archive and restore: every column type makes the round trip exactly (each
 * restored column has the source's type and the same text form, compared by
 * SQL, not only by the archive's own digest), across pages of the keyset read;
 * a tampered or truncated archive, a non-empty target schema and an
 * unwritable folder are refused with nothing written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTable, restoreArchive } from '../../src/phases/index.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { ALL_TYPES_TABLE } from '../fixtures/allTypes.js';
import { openAllTypesDatabase } from '../support/allTypesDatabase.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('archive and restore [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;
  let root: string;

  const columnTypes = async (schema: string, table: string) =>
    (
      await db.pool.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a WHERE a.attrelid = format('%I.%I', $1::text, $2::text)::regclass
            AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [schema, table],
      )
    ).rows;
  /** Rows whose text form differs between the two tables, both ways (0 when equal). */
  const differingRows = async (a: string, b: string) =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           (SELECT x::text FROM ${a} x EXCEPT ALL SELECT y::text FROM ${b} y)
           UNION ALL
           (SELECT y::text FROM ${b} y EXCEPT ALL SELECT x::text FROM ${a} x)) d`,
      )
    ).rows[0]!.n;

  beforeAll(async () => {
    ({ db, config } = await openAllTypesDatabase(backend));
    // Enough rows for several keyset pages (2,000 per page).
    await db.pool.query(`
      INSERT INTO all_types (id, at, c_code, c_int4, c_text, c_numeric, c_double)
      SELECT md5(i::text)::uuid, '2020-01-01'::timestamptz + i * interval '1 second', 'p', i, repeat('x', i % 50), i / 7.0, i / 3.0
        FROM generate_series(1, 4500) i`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-archive-'));
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('archives every type and restores it exactly, type for type', async () => {
    const out = path.join(root, 'all');
    const archived = await archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, config, ALL_TYPES_TABLE, { out });
    expect(archived.verified).toBe(true);
    expect(archived.manifest.rows).toBe(4503);
    expect(fs.readdirSync(out).sort()).toEqual([
      'count',
      'manifest.json',
      'rows.jsonl.gz',
      'table.sql',
    ]);
    expect(fs.readFileSync(path.join(out, 'count'), 'utf8')).toBe('4503\n');
    expect(archived.evidence).toMatchObject({
      kind: 'archive',
      passed: true,
      table: ALL_TYPES_TABLE,
    });

    const restored = await restoreArchive(db.pool, out, { into: 'restored' });
    expect(restored).toMatchObject({
      schema: 'restored',
      table: ALL_TYPES_TABLE,
      rows: 4503,
      dryRun: false,
    });
    expect(restored.rowsDigest).toBe(archived.manifest.rowsDigest);
    expect(await columnTypes('restored', ALL_TYPES_TABLE)).toEqual(
      await columnTypes('public', ALL_TYPES_TABLE),
    );
    expect(await differingRows('public.all_types', 'restored.all_types')).toBe(0);
    // The comparison itself sees a one-row difference.
    await db.pool.query(`UPDATE restored.all_types SET c_double = 'NaN' WHERE c_int4 = 17`);
    expect(await differingRows('public.all_types', 'restored.all_types')).toBe(2);
  });

  it('refuses a tampered, truncated or mismatched archive, and writes nothing', async () => {
    const out = path.join(root, 'tamper');
    await archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, config, ALL_TYPES_TABLE, { out });
    const rowsFile = path.join(out, 'rows.jsonl.gz');
    const original = fs.readFileSync(rowsFile);
    const lines = zlib.gunzipSync(original).toString('utf8').split('\n');
    lines[3] = lines[3]!.replace('"p"', '"q"');
    fs.writeFileSync(rowsFile, zlib.gzipSync(lines.join('\n')));
    await expect(restoreArchive(db.pool, out, { into: 'tampered' })).rejects.toThrow(
      new RegExp(
        `^archive: ${rowsFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: checksum mismatch`,
      ),
    );
    fs.writeFileSync(rowsFile, original.subarray(0, original.length - 100));
    await expect(restoreArchive(db.pool, out, { into: 'tampered', dryRun: true })).rejects.toThrow(
      'checksum mismatch',
    );
    fs.writeFileSync(rowsFile, original);
    expect(await restoreArchive(db.pool, out, { into: 'tampered', dryRun: true })).toMatchObject({
      rows: 4503,
      dryRun: true,
    });
    const schemas = await db.pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'tampered'`);
    expect(schemas.rows).toEqual([]);
  });

  it('refuses a non-empty target schema and an unwritable or non-empty folder', async () => {
    await expect(
      restoreArchive(db.pool, path.join(root, 'all'), { into: 'public' }),
    ).rejects.toThrow(
      'into: schema public exists and is not empty: restore into a new or empty schema',
    );
    const blocked = path.join(root, 'file');
    fs.writeFileSync(blocked, 'x');
    await expect(
      archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, config, ALL_TYPES_TABLE, { out: path.join(blocked, 'sub') }),
    ).rejects.toThrow(/^out: cannot write to .*file\/sub: /);
    await expect(
      archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, config, ALL_TYPES_TABLE, { out: path.join(root, 'all') }),
    ).rejects.toThrow(/^out: .*all is not empty$/);
    const evidence = await db.pool.query(`SELECT count(*)::int AS n FROM tandem.phase_evidence`);
    expect(evidence.rows[0].n).toBe(2);
  });
});
