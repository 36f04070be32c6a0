/**
 * The archive format shared by `tandem archive` (archive.ts) and `tandem
 * restore` (restore.ts): the files of an archive folder, the manifest, the
 * DDL, and reading a table's rows as text forms in key order.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { quoteIdentifier } from '../mapping/index.js';
import type { Queryable } from '../postgres/database.js';

export const ARCHIVE_FORMAT = 1;
export const FILES = {
  rows: 'rows.jsonl.gz',
  ddl: 'table.sql',
  count: 'count',
  manifest: 'manifest.json',
} as const;
/** Most rows in one page or one restore batch. */
export const PAGE_ROWS = 2_000;
/**
 * About how many bytes of column text one page (or one restore batch) holds:
 * rows of 100 KB documents come 160 at a time, not 2,000 (200 MB) at once, so
 * memory stays flat whatever the rows' size (bench/archiveAtSize.ts).
 */
export const PAGE_BYTES = 16 * 2 ** 20;
/** The first page, before any row's size is known. */
const FIRST_PAGE_ROWS = 50;

/** Rows of the next page: PAGE_BYTES at the average row size seen so far. */
function nextPageRows(rows: number, bytes: number): number {
  if (rows === 0) return FIRST_PAGE_ROWS;
  return Math.max(1, Math.min(PAGE_ROWS, Math.floor(PAGE_BYTES / Math.max(1, bytes / rows))));
}

/** The bytes of a row's column texts (UTF-16 units: close enough for a bound). */
export function rowBytes(row: ReadonlyArray<string | null>): number {
  let n = 0;
  for (const v of row) n += v === null ? 4 : v.length;
  return n;
}

/**
 * Session settings that make every type's text form the same on any server
 * and session (time zone, date and interval styles, shortest exact floats,
 * hex bytea), set for the archive's read and for the restore.
 */
export const TEXT_FORM_SETTINGS: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  bytea_output: 'hex',
};

export interface ArchivedColumn {
  name: string;
  /** format_type with only pg_catalog on the search path: schema-qualified where it is not a built-in. */
  type: string;
  notNull: boolean;
}

export interface ArchiveManifest {
  format: number;
  schema: string;
  table: string;
  columns: ArchivedColumn[];
  key: string[];
  rows: number;
  /** sha256 of the uncompressed JSONL (each line and its newline). */
  rowsDigest: string;
  /** sha256 of each file in the folder but the manifest. */
  files: Record<string, string>;
  createdAt: string;
}

export interface TableSource {
  schema: string;
  table: string;
  columns: ArchivedColumn[];
  key: string[];
}

export function renderDdl(schema: string, source: TableSource): string {
  const columns = source.columns.map(
    (c) => `  ${quoteIdentifier(c.name)} ${c.type}${c.notNull ? ' NOT NULL' : ''}`,
  );
  const key = `  PRIMARY KEY (${source.key.map(quoteIdentifier).join(', ')})`;
  return `CREATE TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(source.table)} (\n${[...columns, key].join(',\n')}\n);\n`;
}

/**
 * Each page of rows of a table in key order, as arrays of column texts. Each
 * column is its own text field (an array of texts would go through the
 * driver's array parser, which took 20 times as long on 100 KB documents).
 */
export async function* rowTexts(
  db: Queryable,
  qualified: string,
  source: TableSource,
): AsyncGenerator<Array<string | null>[]> {
  const texts = source.columns
    .map((c, i) => `${quoteIdentifier(c.name)}::text AS c${i}`)
    .join(', ');
  const keyIndex = source.key.map((k) => source.columns.findIndex((c) => c.name === k));
  const keyList = source.key.map(quoteIdentifier).join(', ');
  const keyTypes = keyIndex.map((i) => source.columns[i]!.type);
  const names = source.columns.map((_c, i) => `c${i}`);
  let after: Array<string | null> | null = null;
  let [seenRows, seenBytes] = [0, 0];
  for (;;) {
    const limit = nextPageRows(seenRows, seenBytes);
    const where: string = after
      ? `WHERE (${keyList}) > (${keyTypes.map((t, i) => `$${i + 2}::${t}`).join(', ')})`
      : '';
    const { rows }: { rows: Array<Record<string, string | null>> } = await db.query<
      Record<string, string | null>
    >(`SELECT ${texts} FROM ${qualified} ${where} ORDER BY ${keyList} LIMIT $1`, [
      limit,
      ...(after ? keyIndex.map((i) => after![i]) : []),
    ]);
    if (rows.length === 0) return;
    const page: Array<Array<string | null>> = rows.map((r) => names.map((n) => r[n] ?? null));
    for (const row of page) seenBytes += rowBytes(row);
    seenRows += page.length;
    yield page;
    if (page.length < limit) return;
    after = page.at(-1)!;
  }
}

/** One archived row as its line of `rows.jsonl` (the unit the rows digest is taken over). */
export function rowLine(row: ReadonlyArray<string | null>): string {
  return `${JSON.stringify(row)}\n`;
}

/**
 * The row count and rows digest the table's rows would have in an archive
 * made now, without writing one. The caller's transaction must carry
 * TEXT_FORM_SETTINGS (the digest is over text forms).
 */
export async function tableRowsDigest(
  db: Queryable,
  qualified: string,
  source: TableSource,
): Promise<{ rows: number; rowsDigest: string }> {
  const digest = crypto.createHash('sha256');
  let rows = 0;
  for await (const page of rowTexts(db, qualified, source)) {
    for (const row of page) digest.update(rowLine(row));
    rows += page.length;
  }
  return { rows, rowsDigest: digest.digest('hex') };
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
