/**
 * Pages through a mirrored table in pgKey order (Convex string order), each
 * row with its Postgres columns as stored (companion columns joined in), its
 * key and version. Pages stop at numItems rows or maxBytes of returned data,
 * whichever comes first, so a page stays far below Convex's 8 MiB return and
 * 16 MiB read limits; at least one row is returned when any is left.
 */
import { ConvexError, getConvexSize, type Value } from 'convex/values';
import { findByKey } from './lookup.js';
import { MIRRORED_TABLES } from './tables.js';
import { KEY_INDEX, type MirroredTable, type MirrorDoc, type MirrorReader } from './types.js';

export const DEFAULT_EXPORT_BYTES = 4 * 1024 * 1024;
export const MAX_EXPORT_BYTES = 6 * 1024 * 1024;
export const MAX_EXPORT_ITEMS = 8192;

export interface ExportedRow {
  key: string;
  version: number;
  columns: Record<string, unknown>;
}

export interface ExportedPage {
  page: ExportedRow[];
  isDone: boolean;
  continueCursor: string;
}

function pick(
  source: Record<string, unknown>,
  names: string[],
  into: Record<string, unknown>,
): void {
  for (const name of names) if (name in source) into[name] = source[name];
}

async function exportRow(
  db: MirrorReader,
  table: MirroredTable,
  doc: MirrorDoc,
): Promise<ExportedRow> {
  const columns: Record<string, unknown> = {};
  pick(doc, table.columns, columns);
  if (table.content) {
    const content = await findByKey(db, table.content.table, doc.pgKey);
    if (content) pick(content, table.content.columns, columns);
  }
  return { key: doc.pgKey, version: doc.pgVersion, columns };
}

export async function exportTablePage(
  db: MirrorReader,
  tableName: string,
  cursor: string | null,
  numItems: number,
  maxBytes: number = DEFAULT_EXPORT_BYTES,
): Promise<ExportedPage> {
  const table = MIRRORED_TABLES[tableName];
  if (!table) throw new ConvexError({ kind: 'unknown_table', table: tableName });
  const limitItems = Math.max(1, Math.min(Math.floor(numItems), MAX_EXPORT_ITEMS));
  const limitBytes = Math.max(1, Math.min(Math.floor(maxBytes), MAX_EXPORT_BYTES));
  const query = db
    .query(tableName)
    .withIndex(KEY_INDEX, (q) => (cursor === null ? q : q.gt('pgKey', cursor)));
  const page: ExportedRow[] = [];
  let bytes = 0;
  let isDone = true;
  for await (const doc of query) {
    if (page.length >= limitItems) {
      isDone = false;
      break;
    }
    const row = await exportRow(db, table, doc as MirrorDoc);
    const size = getConvexSize(row as unknown as Value);
    if (page.length > 0 && bytes + size > limitBytes) {
      isDone = false;
      break;
    }
    page.push(row);
    bytes += size;
  }
  const last = page[page.length - 1];
  return { page, isDone, continueCursor: last ? last.key : (cursor ?? '') };
}
