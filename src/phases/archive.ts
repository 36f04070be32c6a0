/**
 * `tandem archive <table>` and `tandem restore <archive> --into <schema>`.
 *
 * An archive is a folder of four files:
 * - `rows.jsonl.gz`: one line per row, in key order, a JSON array of each
 *   column's Postgres text form (null for NULL). The text form goes back
 *   through the column type's own input function, so the round trip is exact
 *   for every type, byte for byte and type for type;
 * - `table.sql`: the table's DDL (columns with fully qualified types, key);
 * - `count`: the number of rows;
 * - `manifest.json`: the columns, the key, the row count, the sha256 of the
 *   uncompressed rows (`rowsDigest`) and of every other file.
 *
 * Rows are read by keyset pages and written through gzip with backpressure,
 * so memory stays flat whatever the table's size. After writing, `archive`
 * verifies its own output: it checks every checksum, restores the archive into
 * a scratch schema inside a transaction it rolls back, and compares the
 * restored rows with the table's; that outcome is the checklist's archive
 * evidence.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, requireTable, type MirrorConfig } from '../mapping/index.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import { recordEvidence, type Evidence } from './store.js';

export const ARCHIVE_FORMAT = 1;
const FILES = {
  rows: 'rows.jsonl.gz',
  ddl: 'table.sql',
  count: 'count',
  manifest: 'manifest.json',
} as const;
const PAGE_ROWS = 2_000;

/**
 * Session settings that make every type's text form the same on any server
 * and session (time zone, date and interval styles, shortest exact floats,
 * hex bytea), set for the archive's read and for the restore.
 */
const TEXT_FORM_SETTINGS: Readonly<Record<string, string>> = {
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

interface TableSource {
  schema: string;
  table: string;
  columns: ArchivedColumn[];
  key: string[];
}

async function readColumns(
  pool: pg.Pool,
  schema: string,
  table: string,
): Promise<ArchivedColumn[]> {
  // With only pg_catalog on the search path, format_type qualifies every other
  // type (enums, domains), so the DDL does not depend on the reader's path.
  const rows = await withTransaction(pool, async (tx) => {
    await tx.query(`SET LOCAL search_path TO pg_catalog`);
    const result = await tx.query<{ name: string; type: string; not_null: boolean }>(
      `SELECT a.attname AS name, a.attnotnull AS not_null,
              pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated <> 'v'
        ORDER BY a.attnum`,
      [schema, table],
    );
    return result.rows;
  });
  return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.not_null }));
}

function renderDdl(schema: string, source: TableSource): string {
  const columns = source.columns.map(
    (c) => `  ${quoteIdentifier(c.name)} ${c.type}${c.notNull ? ' NOT NULL' : ''}`,
  );
  const key = `  PRIMARY KEY (${source.key.map(quoteIdentifier).join(', ')})`;
  return `CREATE TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(source.table)} (\n${[...columns, key].join(',\n')}\n);\n`;
}

/** Each page of rows of a table in key order, as arrays of column texts. */
async function* rowTexts(
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

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

function checkWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.readdirSync(dir).length > 0) throw new InvalidInputError('out', `${dir} is not empty`);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError('out', `cannot write to ${dir}: ${(err as Error).message}`);
  }
}

async function tableSource(
  pool: pg.Pool,
  mirror: MirrorConfig,
  tableName: string,
): Promise<TableSource> {
  const table = requireTable(mirror, tableName);
  const columns = await readColumns(pool, table.schema, table.name);
  return { schema: table.schema, table: table.name, columns, key: [...table.primaryKey] };
}

export interface ArchiveOptions {
  /** Folder to write (created; must be empty). */
  out: string;
  now?: Date;
}

export interface ArchiveResult {
  dir: string;
  manifest: ArchiveManifest;
  verified: boolean;
  evidence: Evidence;
}

/** Writes the archive, then verifies it by a restore into a scratch schema that is rolled back. */
export async function archiveTable(
  pool: pg.Pool,
  mirror: MirrorConfig,
  tableName: string,
  options: ArchiveOptions,
): Promise<ArchiveResult> {
  const source = await tableSource(pool, mirror, tableName);
  const dir = path.resolve(options.out);
  checkWritable(dir);
  const qualified = `${quoteIdentifier(source.schema)}.${quoteIdentifier(source.table)}`;
  const digest = crypto.createHash('sha256');
  let rows = 0;
  const gzip = zlib.createGzip();
  const written = pipeline(gzip, fs.createWriteStream(path.join(dir, FILES.rows)));
  // In the fixed text forms. The table is frozen by this phase, so the pages
  // are one consistent picture; the checklist only takes an archive made
  // during the current freeze.
  await withTransaction(
    pool,
    async (tx) => {
      for await (const page of rowTexts(tx, qualified, source)) {
        for (const row of page) {
          const line = `${JSON.stringify(row)}\n`;
          digest.update(line);
          rows += 1;
          if (!gzip.write(line)) await new Promise((resolve) => gzip.once('drain', resolve));
        }
      }
    },
    { settings: TEXT_FORM_SETTINGS },
  );
  gzip.end();
  await written;
  fs.writeFileSync(path.join(dir, FILES.ddl), renderDdl(source.schema, source));
  fs.writeFileSync(path.join(dir, FILES.count), `${rows}\n`);
  const files: Record<string, string> = {};
  for (const name of [FILES.rows, FILES.ddl, FILES.count])
    files[name] = await sha256File(path.join(dir, name));
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    schema: source.schema,
    table: source.table,
    columns: source.columns,
    key: source.key,
    rows,
    rowsDigest: digest.digest('hex'),
    files,
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  fs.writeFileSync(path.join(dir, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);

  let verified = false;
  let summary: string;
  try {
    const scratch = `tandem_verify_${crypto.randomBytes(4).toString('hex')}`;
    const restored = await restoreArchive(pool, dir, { into: scratch, rollback: true });
    verified = restored.rowsDigest === manifest.rowsDigest && restored.rows === rows;
    summary = verified
      ? `archive of ${rows} row(s) at ${dir} verified: checksums match, a scratch restore equals the table`
      : `archive at ${dir} restored to different rows than the table's`;
  } catch (err) {
    summary = `archive at ${dir} failed verification: ${(err as Error).message}`;
  }
  const evidence = await recordEvidence(pool, {
    table: source.table,
    kind: 'archive',
    passed: verified,
    recordedAt: options.now ?? new Date(),
    detail: { summary, dir, rows, rowsDigest: manifest.rowsDigest },
  });
  return { dir, manifest, verified, evidence };
}

export interface RestoreOptions {
  /** The schema to restore into: created, or existing and empty. */
  into: string;
  /** Verify the files and count the rows; write nothing. */
  dryRun?: boolean;
  /** Restore inside a transaction that is rolled back (archive's own verification). */
  rollback?: boolean;
}

export interface RestoreResult {
  schema: string;
  table: string;
  rows: number;
  rowsDigest: string;
  dryRun: boolean;
}

function readManifest(dir: string): ArchiveManifest {
  const file = path.join(dir, FILES.manifest);
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as ArchiveManifest;
  } catch (err) {
    throw new InvalidInputError('archive', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (manifest.format !== ARCHIVE_FORMAT)
    throw new InvalidInputError(
      'archive',
      `${file}: format ${manifest.format}, this Tandem reads ${ARCHIVE_FORMAT}`,
    );
  return manifest;
}

/** Every line of the rows file, in order. */
async function* archivedRows(dir: string): AsyncGenerator<string> {
  const lines = readline.createInterface({
    input: fs.createReadStream(path.join(dir, FILES.rows)).pipe(zlib.createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) yield line;
}

async function verifyFiles(dir: string, manifest: ArchiveManifest): Promise<void> {
  for (const [name, expected] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new InvalidInputError('archive', `${file} is missing`);
    const actual = await sha256File(file);
    if (actual !== expected)
      throw new InvalidInputError(
        'archive',
        `${file}: checksum mismatch (sha256 ${actual}, the manifest says ${expected})`,
      );
  }
  const count = Number(fs.readFileSync(path.join(dir, FILES.count), 'utf8').trim());
  if (count !== manifest.rows)
    throw new InvalidInputError(
      'archive',
      `count file says ${count} rows, the manifest ${manifest.rows}`,
    );
}

async function schemaIsEmpty(db: Queryable, schema: string): Promise<boolean | null> {
  const { rows } = await db.query<{ exists: boolean; relations: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists,
            (SELECT count(*)::int FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1) AS relations`,
    [schema],
  );
  if (!rows[0]!.exists) return null;
  return rows[0]!.relations === 0;
}

export async function restoreArchive(
  pool: pg.Pool,
  archiveDir: string,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const dir = path.resolve(archiveDir);
  const manifest = readManifest(dir);
  await verifyFiles(dir, manifest);
  const digest = crypto.createHash('sha256');
  let rows = 0;
  if (options.dryRun) {
    for await (const line of archivedRows(dir)) {
      digest.update(`${line}\n`);
      rows += 1;
    }
    const rowsDigest = digest.digest('hex');
    if (rows !== manifest.rows || rowsDigest !== manifest.rowsDigest)
      throw new InvalidInputError(
        'archive',
        `${dir}: the rows do not match the manifest (${rows} rows read)`,
      );
    return { schema: options.into, table: manifest.table, rows, rowsDigest, dryRun: true };
  }
  const empty = await schemaIsEmpty(pool, options.into);
  if (empty === false)
    throw new InvalidInputError(
      'into',
      `schema ${options.into} exists and is not empty: restore into a new or empty schema`,
    );

  const source: TableSource = { ...manifest, schema: options.into };
  const qualified = `${quoteIdentifier(options.into)}.${quoteIdentifier(manifest.table)}`;
  const columnList = manifest.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const casts = manifest.columns.map((c, i) => `(x ->> ${i})::${c.type}`).join(', ');
  const insert = `INSERT INTO ${qualified} (${columnList}) SELECT ${casts} FROM jsonb_array_elements($1::jsonb) AS x`;
  const abort = new Error('rolled back on purpose');
  let result: RestoreResult | undefined;
  try {
    await withTransaction(
      pool,
      async (tx) => {
        if (empty === null) await tx.query(`CREATE SCHEMA ${quoteIdentifier(options.into)}`);
        await tx.query(renderDdl(options.into, source));
        let batch: string[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await tx.query(insert, [`[${batch.join(',')}]`]);
          batch = [];
        };
        for await (const line of archivedRows(dir)) {
          digest.update(`${line}\n`);
          rows += 1;
          batch.push(line);
          if (batch.length >= 1_000) await flush();
        }
        await flush();
        if (rows !== manifest.rows || digest.digest('hex') !== manifest.rowsDigest)
          throw new InvalidInputError(
            'archive',
            `${dir}: the rows do not match the manifest (${rows} rows read)`,
          );
        // Read back through the same text forms: equal digests mean equal values, type for type.
        const back = crypto.createHash('sha256');
        let count = 0;
        for await (const page of rowTexts(tx, qualified, source)) {
          for (const row of page) {
            back.update(`${JSON.stringify(row)}\n`);
            count += 1;
          }
        }
        result = {
          schema: options.into,
          table: manifest.table,
          rows: count,
          rowsDigest: back.digest('hex'),
          dryRun: false,
        };
        if (result.rowsDigest !== manifest.rowsDigest)
          throw new InvalidInputError(
            'archive',
            `${dir}: the restored rows differ from the archived ones`,
          );
        if (options.rollback) throw abort;
      },
      { settings: TEXT_FORM_SETTINGS },
    );
  } catch (err) {
    if (err !== abort) throw err;
  }
  return result!;
}
