/**
 * A table's rows as each of the tool's three read paths gives them, mapped:
 * the capture trigger's newest outbox image per key (through mapChange, as the
 * relay maps it), the backfill's page query, and parity's reader. A clean
 * mirror needs all three to agree exactly.
 */
import type pg from 'pg';
import { readPage, tableShape } from '../../src/backfill/index.js';
import { readTableCatalog } from '../../src/capture/catalog.js';
import type { MappedChange } from '../../src/core/changes.js';
import {
  canonicalValue,
  mapChange,
  mapRow,
  type MappedRow,
  type MirrorConfig,
  type TableConfig,
} from '../../src/mapping/index.js';
import { streamRowsInKeyOrder, type PgRow } from '../../src/parity/pgRows.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

/** Column values in canonical text, so bytes, -0 and NaN compare exactly. */
export function canonicalColumns(columns: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(columns).map(([k, value]) => [k, canonicalValue(value)]),
  );
}

export async function capturedRows(
  pool: pg.Pool,
  table: TableConfig,
  config: MirrorConfig,
): Promise<Map<string, MappedRow & { change: MappedChange }>> {
  const { rows } = await pool.query<{
    seq: string;
    txid: string;
    key: string;
    op: 'insert' | 'update';
    row: Record<string, unknown>;
  }>(
    // o.seq, not seq: a bare name in ORDER BY would be the text output column.
    `SELECT DISTINCT ON (o.key) o.seq::text AS seq, o.txid::text AS txid, o.key, o.op, o."row"
       FROM tandem.outbox o
      WHERE o.table_name = $1 AND o.op <> 'delete' ORDER BY o.key, o.seq DESC`,
    [table.name],
  );
  return new Map(
    rows.map((r) => {
      const change = mapChange(
        {
          seq: Number(r.seq),
          txid: r.txid,
          table: table.name,
          key: r.key,
          op: r.op,
          row: r.row,
          operationKey: null,
        },
        config,
      );
      return [r.key, { ...mapRow(table, r.row, config), change }];
    }),
  );
}

export async function backfilledRows(
  pool: pg.Pool,
  table: TableConfig,
  config: MirrorConfig,
): Promise<Map<string, MappedRow>> {
  const catalog = (await readTableCatalog(pool, [table.name], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get(table.name)!;
  const page = await readPage(pool, DEFAULT_TOOL_SCHEMA, tableShape('public', catalog), null, 10_000);
  return new Map(page.map((p) => [p.key, mapRow(table, p.row, config)]));
}

export async function parityRows(pool: pg.Pool, table: TableConfig): Promise<Map<string, PgRow>> {
  const rows = new Map<string, PgRow>();
  for await (const batch of streamRowsInKeyOrder(pool, table))
    for (const r of batch) rows.set(r.key, r);
  return rows;
}
