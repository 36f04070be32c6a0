/**
 * `tandem restore <archive> --into <schema>`: checksums and count first, then
 * the rows into a new or empty schema in one transaction, read back and
 * compared with the manifest (the archive's own verification uses it with
 * `rollback`). The format is archiveFormat.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { qualifiedName, quoteIdentifier } from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { readSchemaRelationCount } from '../postgres/catalog/index.js';
import {
  ARCHIVE_FORMAT,
  FILES,
  rowTexts,
  PAGE_BYTES,
  PAGE_ROWS,
  renderDdl,
  sha256File,
  TEXT_FORM_SETTINGS,
  type ArchiveManifest,
  type TableSource,
} from './archiveFormat.js';

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
  const relations = await readSchemaRelationCount(pool, options.into);
  if (relations !== null && relations > 0)
    throw new InvalidInputError(
      'into',
      `schema ${qualifiedName(options.into)} exists and is not empty: restore into a new or empty schema`,
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
        if (relations === null) await tx.query(`CREATE SCHEMA ${quoteIdentifier(options.into)}`);
        await tx.query(renderDdl(options.into, source));
        let batch: string[] = [];
        let batchBytes = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          await tx.query(insert, [`[${batch.join(',')}]`]);
          [batch, batchBytes] = [[], 0];
        };
        for await (const line of archivedRows(dir)) {
          digest.update(`${line}\n`);
          rows += 1;
          batch.push(line);
          batchBytes += line.length;
          // Bounded in rows and in bytes: large documents come a few at a time.
          if (batch.length >= PAGE_ROWS || batchBytes >= PAGE_BYTES) await flush();
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
