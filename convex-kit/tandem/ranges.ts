/**
 * Key ranges of a mirrored table for parity, read inside Convex. A range is
 * (after, upTo] in pgKey order (Convex orders strings by UTF-8 bytes, as
 * Postgres does with COLLATE "C"); null bounds are open. Each call reads at
 * most one page (rows and bytes capped well under Convex's per-query read
 * limits) and says where to go on, so the caller pages through big ranges.
 */
import { ConvexError, getConvexSize, type Value } from 'convex/values';
import { findByKey } from './lookup.js';
import { MIRRORED_TABLES } from './tables.js';
import { KEY_INDEX, type MirroredTable, type MirrorDoc, type MirrorReader } from './types.js';
import { canonicalRowHash, digestHex, hashPrefix, sortedColumns } from './canonical.js';

export interface KeyRange {
  after: string | null;
  upTo: string | null;
}

/** Rows per page: tables with a companion cost two reads and two index ranges per row. */
export const MAX_RANGE_ROWS = 4000;
export const MAX_RANGE_ROWS_WITH_CONTENT = 1000;
export const MAX_COUNT_ROWS = 8000;
/** Bytes of documents read per page (Convex allows 16 MiB per query). */
export const MAX_RANGE_BYTES = 8 * 1024 * 1024;

export interface HashedRow {
  key: string;
  version: number;
  hash: string;
  columns: Record<string, unknown>;
}

export interface RangePage {
  rows: HashedRow[];
  /** Last key read when the range goes on; null when the range is finished. */
  continueCursor: string | null;
}

export function mirroredTable(name: string): MirroredTable {
  const table = MIRRORED_TABLES[name];
  if (!table) throw new ConvexError({ kind: 'unknown_table', table: name });
  return table;
}

const columnOrder = new Map<string, string[]>();

function hashColumns(name: string, table: MirroredTable): string[] {
  let names = columnOrder.get(name);
  if (!names) {
    names = sortedColumns([...table.columns, ...(table.content?.columns ?? [])]);
    columnOrder.set(name, names);
  }
  return names;
}

/** The row's Postgres columns as exportPage returns them (companion columns joined in). */
export async function rowColumns(
  db: MirrorReader,
  table: MirroredTable,
  doc: MirrorDoc,
): Promise<{ columns: Record<string, unknown>; bytes: number }> {
  const columns: Record<string, unknown> = {};
  for (const name of table.columns) if (name in doc) columns[name] = doc[name];
  let bytes = getConvexSize(doc as unknown as Value);
  if (table.content) {
    const content = await findByKey(db, table.content.table, doc.pgKey);
    if (content) {
      for (const name of table.content.columns) if (name in content) columns[name] = content[name];
      bytes += getConvexSize(content as unknown as Value);
    }
  }
  return { columns, bytes };
}

export function hashRow(tableName: string, table: MirroredTable, columns: Record<string, unknown>): string {
  return canonicalRowHash(tableName, hashColumns(tableName, table), columns);
}

/** One page of a range's rows with their canonical hashes. */
export async function readRangePage(
  db: MirrorReader,
  tableName: string,
  range: KeyRange,
  cursor: string | null,
  maxRows: number,
): Promise<RangePage> {
  const table = mirroredTable(tableName);
  const cap = table.content ? MAX_RANGE_ROWS_WITH_CONTENT : MAX_RANGE_ROWS;
  const limit = Math.max(1, Math.min(Math.floor(maxRows), cap));
  const lower = cursor ?? range.after;
  const query = db.query(tableName).withIndex(KEY_INDEX, (q) => {
    const low = lower === null ? q : q.gt('pgKey', lower);
    return range.upTo === null ? low : low.lte('pgKey', range.upTo);
  });
  const rows: HashedRow[] = [];
  let bytes = 0;
  for await (const raw of query) {
    const doc = raw as MirrorDoc;
    if (rows.length >= limit || bytes >= MAX_RANGE_BYTES) {
      return { rows, continueCursor: rows[rows.length - 1]!.key };
    }
    const row = await rowColumns(db, table, doc);
    bytes += row.bytes;
    const hash = hashRow(tableName, table, row.columns);
    rows.push({ key: doc.pgKey, version: doc.pgVersion, hash, columns: row.columns });
  }
  return { rows, continueCursor: null };
}

export interface RangeDigestPage {
  count: number;
  sum: string;
  continueCursor: string | null;
}

export async function rangeDigestPage(
  db: MirrorReader,
  tableName: string,
  range: KeyRange,
  cursor: string | null,
  maxRows: number,
): Promise<RangeDigestPage> {
  const page = await readRangePage(db, tableName, range, cursor, maxRows);
  let sum = 0n;
  for (const row of page.rows) sum += hashPrefix(row.hash);
  return { count: page.rows.length, sum: digestHex(sum), continueCursor: page.continueCursor };
}

/** Counts a page of documents without reading companions or hashing. */
export async function countPage(
  db: MirrorReader,
  tableName: string,
  cursor: string | null,
  maxRows: number,
): Promise<{ count: number; continueCursor: string | null }> {
  mirroredTable(tableName);
  const limit = Math.max(1, Math.min(Math.floor(maxRows), MAX_COUNT_ROWS));
  const query = db
    .query(tableName)
    .withIndex(KEY_INDEX, (q) => (cursor === null ? q : q.gt('pgKey', cursor)));
  let count = 0;
  let bytes = 0;
  let last: string | null = null;
  for await (const raw of query) {
    if (count >= limit || bytes >= MAX_RANGE_BYTES) return { count, continueCursor: last };
    last = (raw as MirrorDoc).pgKey;
    bytes += getConvexSize(raw as unknown as Value);
    count += 1;
  }
  return { count, continueCursor: null };
}
