/** Paging loops over the ParityReader port: one bounded Convex query per call. */
import type { HashedRow, KeyRange, ParityReader, RowHash } from '../convex/target.js';
import { emptyDigest, type Digest } from './digest.js';

/** Rows per Convex page when reading ranges (Convex caps it lower for tables with companions). */
export const CONVEX_PAGE_ROWS = 4000;
export const KEYS_PER_CALL = 200;

/** Only the bounds go over the wire (callers pass richer range objects). */
const bounds = (range: KeyRange): KeyRange => ({ after: range.after, upTo: range.upTo });

export async function convexRangeDigest(reader: ParityReader, table: string, range: KeyRange): Promise<Digest> {
  const digest = emptyDigest();
  let cursor: string | null = null;
  do {
    const page = await reader.rangeDigest(table, bounds(range), cursor, CONVEX_PAGE_ROWS);
    digest.count += page.count;
    digest.sum = BigInt.asUintN(64, digest.sum + BigInt(`0x${page.sum}`));
    cursor = page.continueCursor;
  } while (cursor !== null);
  return digest;
}

export async function convexRangeRows(reader: ParityReader, table: string, range: KeyRange): Promise<RowHash[]> {
  const rows: RowHash[] = [];
  let cursor: string | null = null;
  do {
    const page = await reader.rangeRowHashes(table, bounds(range), cursor, CONVEX_PAGE_ROWS);
    rows.push(...page.rows);
    cursor = page.continueCursor;
  } while (cursor !== null);
  return rows;
}

export async function convexRowsByKeys(
  reader: ParityReader,
  table: string,
  keys: readonly string[],
): Promise<Map<string, HashedRow>> {
  const found = new Map<string, HashedRow>();
  for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
    for (const row of await reader.rowsByKeys(table, keys.slice(i, i + KEYS_PER_CALL))) found.set(row.key, row);
  }
  return found;
}

export async function countConvexRows(reader: ParityReader, table: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = await reader.countRows(table, cursor, 8000);
    count += page.count;
    cursor = page.continueCursor;
  } while (cursor !== null);
  return count;
}
