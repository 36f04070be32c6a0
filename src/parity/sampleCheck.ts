/**
 * Sampled parity: `size` random Postgres rows compared by canonical hash with
 * what Convex holds for their keys. A sample cannot see keys only Convex has;
 * the row counts of both sides are reported beside it. When the sample is at
 * least the table's size the caller runs the full check instead and says so.
 */
import type { ParityReader } from '../convex/target.js';
import type { TableConfig } from '../mapping/index.js';
import type { Queryable } from '../postgres/database.js';
import { convexRowsByKeys } from './convexReads.js';
import type { DriftCandidates } from './findings.js';
import { samplePgRows } from './pgRows.js';

export async function sampleCheck(
  db: Queryable,
  reader: ParityReader,
  table: TableConfig,
  size: number,
  candidates: DriftCandidates,
): Promise<{ compared: number }> {
  const rows = await samplePgRows(db, table, size);
  const convex = await convexRowsByKeys(reader, table.name, rows.map((r) => r.key));
  for (const row of rows) {
    const held = convex.get(row.key);
    if (!held) candidates.missing.add(row.key);
    else if (held.hash !== row.hash) candidates.different.add(row.key);
  }
  return { compared: rows.length };
}
