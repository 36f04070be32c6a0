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
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, requireTable, type MirrorConfig } from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { readQualifiedTableColumns } from '../postgres/catalog/index.js';
import { recordEvidence, type Evidence } from './store.js';
import {
  FILES,
  rowLine,
  rowTexts,
  renderDdl,
  sha256File,
  TEXT_FORM_SETTINGS,
  ARCHIVE_FORMAT,
  type ArchivedColumn,
  type ArchiveManifest,
  type TableSource,
} from './archiveFormat.js';
import { restoreArchive } from './restore.js';
import type { ToolSchema } from '../core/toolSchema.js';

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

/** The table as the archive sees it: where it is, its columns with their full types, its key. */
export async function tableSource(
  pool: pg.Pool,
  mirror: MirrorConfig,
  tableName: string,
): Promise<TableSource> {
  const table = requireTable(mirror, tableName);
  // Fully qualified types, so the DDL does not depend on the reader's search path.
  const columns: ArchivedColumn[] = (await readQualifiedTableColumns(pool, table.schema, table.name))
    .filter((c) => !c.virtual)
    .map((c) => ({ name: c.name, type: c.type, notNull: c.notNull }));
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
  pool: pg.Pool, tool: ToolSchema,
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
  // In the fixed text forms, and in one snapshot (REPEATABLE READ): a frozen
  // table still takes reverse sync's writes (Convex's changes kept in step
  // for a rollback), so pages read in separate snapshots could mix two
  // states. What reverse sync writes after the snapshot is not in the
  // archive; decommission checks the table still equals it (decommission.ts).
  await withTransaction(
    pool,
    async (tx) => {
      for await (const page of rowTexts(tx, qualified, source)) {
        for (const row of page) {
          const line = rowLine(row);
          digest.update(line);
          rows += 1;
          if (!gzip.write(line)) await new Promise((resolve) => gzip.once('drain', resolve));
        }
      }
    },
    { settings: TEXT_FORM_SETTINGS, isolation: 'repeatable read', readOnly: true },
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
  const evidence = await recordEvidence(pool, tool, {
    table: source.table,
    kind: 'archive',
    passed: verified,
    recordedAt: options.now ?? new Date(),
    detail: { summary, dir, rows, rowsDigest: manifest.rowsDigest },
  });
  return { dir, manifest, verified, evidence };
}
