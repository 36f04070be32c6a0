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
export const PAGE_ROWS = 2_000;

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

/** Each page of rows of a table in key order, as arrays of column texts. */
export async function* rowTexts(
  db: Queryable,
  qualified: string,
  source: TableSource,
): AsyncGenerator<Array<string | null>[]> {
  const texts = source.columns.map((c) => `${quoteIdentifier(c.name)}::text`).join(', ');
  const keyIndex = source.key.map((k) => source.columns.findIndex((c) => c.name === k));
  const keyList = source.key.map(quoteIdentifier).join(', ');
  const keyTypes = keyIndex.map((i) => source.columns[i]!.type);
  let after: Array<string | null> | null = null;
  for (;;) {
    const where: string = after
      ? `WHERE (${keyList}) > (${keyTypes.map((t, i) => `$${i + 2}::${t}`).join(', ')})`
      : '';
    const { rows }: { rows: Array<{ r: Array<string | null> }> } = await db.query<{
      r: Array<string | null>;
    }>(
      `SELECT ARRAY[${texts}]::text[] AS r FROM ${qualified} ${where} ORDER BY ${keyList} LIMIT $1`,
      [PAGE_ROWS, ...(after ? keyIndex.map((i) => after![i]) : [])],
    );
    if (rows.length === 0) return;
    yield rows.map((x) => x.r);
    if (rows.length < PAGE_ROWS) return;
    after = rows.at(-1)!.r;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
