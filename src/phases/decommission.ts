/**
 * `tandem decommission <table>`: the last step. Allowed only from `archived`
 * with a verified archive taken during the current freeze and a clean guard
 * scan. It removes capture, keeps the table (moved into a retired schema, or
 * renamed), drops it only when asked with a reason, and records the phase.
 *
 * A frozen table still takes reverse sync's writes (Convex's changes, kept in
 * step for a write rollback) until it is decommissioned, so the table may
 * have moved on since its archive. Everything happens in one transaction that
 * first fences reverse sync (it takes the row lock every reverse-sync page
 * takes, so a page in flight finishes first and the next waits for the
 * commit) and then compares the table's rows with the archive's digest: a
 * table that changed since its archive is refused, with capture still on and
 * nothing moved, and the archive must be taken again. After the commit,
 * reverse sync passes over the table (applyPage.ts).
 * Adding the table to the guard's list is the caller's part (the CLI edits a
 * JSON config, or says which line to add), since the config is the
 * application's file.
 */
import type pg from 'pg';
import { recordAudit } from '../capture/audit.js';
import { uninstallCaptureIn } from '../capture/uninstall.js';
import { InvalidInputError } from '../core/errors.js';
import {
  qualifiedName,
  qualifiedTable,
  quoteIdentifier,
  requireTable,
  type MirrorConfig,
  type TableConfig,
} from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { readColumnsFilledBySequence } from '../postgres/catalog/index.js';
import { checklist, type ChecklistOptions, type GateResult } from './gates.js';
import { GateNotMetError } from './advance.js';
import { latestEvidence, writePhase } from './store.js';
import { tableSource } from './archive.js';
import { TEXT_FORM_SETTINGS, tableRowsDigest } from './archiveFormat.js';
import { toolScopedName, type ToolSchema } from '../core/toolSchema.js';

/** The retired schema of the default tool schema `tandem`. */
export const DEFAULT_RETIRED_SCHEMA = 'tandem_retired';

/**
 * Where a decommissioned table is kept unless told otherwise: `tandem_retired`
 * for the default tool schema, `tandem_retired_<8 hex digits>` for any other,
 * so two Tandem installations in one database (two apps, each with a table
 * named `account`) never move their tables into the same schema.
 */
export function retiredSchemaOf(tool: ToolSchema): string {
  return toolScopedName(tool, DEFAULT_RETIRED_SCHEMA);
}

export interface DecommissionOptions extends ChecklistOptions {
  /** Where the table is kept: moved into this schema (default retiredSchemaOf(tool): tandem_retired for `tandem`)… */
  retiredSchema?: string;
  /** …or renamed in place to this name instead. */
  renameTo?: string;
  /** Drop the table instead of keeping it (needs `why`). */
  drop?: boolean;
  why?: string;
  actor?: string;
}

export interface DecommissionResult {
  table: string;
  /** Where the table is now (schema-qualified), or null when dropped. */
  keptAs: string | null;
}

export async function decommissionTable(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  tableName: string,
  options: DecommissionOptions = {},
): Promise<DecommissionResult> {
  const table = requireTable(mirror, tableName);
  if (options.drop && !options.why?.trim())
    throw new InvalidInputError('why', 'dropping a decommissioned table needs --why "<reason>"');
  if (options.drop && (options.renameTo || options.retiredSchema))
    throw new InvalidInputError('drop', 'a dropped table is neither moved nor renamed');
  const [list] = await checklist(pool, tool, mirror, [table.name], options, ['archive-verified', 'guard-clean']);
  if (list!.phase !== 'archived')
    throw new InvalidInputError(
      'table',
      `${table.name} is ${list!.phase}: decommission only an archived table`,
    );
  const unmet = list!.gates.filter(
    (g) => (g.gate === 'archive-verified' || g.gate === 'guard-clean') && !g.met,
  );
  if (unmet.length > 0) throw new GateNotMetError(table.name, 'decommissioned', unmet);

  if (options.drop) await refuseDroppingKeySequence(pool, table);

  const now = options.now ?? new Date();
  const archive = (await latestEvidence(pool, tool, table.name, now)).get('archive')!;
  const archived = archive.detail as { rows: number; rowsDigest: string; dir: string };
  const columns = await tableSource(pool, mirror, table.name);
  return withTransaction(
    pool,
    async (tx) => {
      await tx.query(`SELECT 1 FROM ${tool.sql}.reverse_sync_state FOR UPDATE`);
      // Any other writer (a superuser past the freeze trigger) waits too, until the commit.
      await tx.query(`LOCK TABLE ${qualifiedTable(table)} IN SHARE MODE`);
      const current = await tableRowsDigest(tx, qualifiedTable(table), columns);
      if (current.rowsDigest !== archived.rowsDigest) {
        const stale: GateResult = {
          ...list!.gates.find((g) => g.gate === 'archive-verified')!,
          met: false,
          evidence: `the table changed since its archive at ${archived.dir} (${archived.rows} row(s) archived, ${current.rows} now): run tandem archive ${table.name} again, then decommission`,
          metAt: null,
        };
        throw new GateNotMetError(table.name, 'decommissioned', [stale]);
      }
      await uninstallCaptureIn(tx, { schema: table.schema, tool, tables: [table.name], actor: options.actor });
      return retireTable(tx, tool, table, options, now);
    },
    { settings: TEXT_FORM_SETTINGS },
  );
}

/**
 * Convex, the table's only writer once its writes moved, creates rows with
 * ids reserved from the key's sequence (docs/write-cutover-keys.md); dropping
 * the table would drop that sequence with it, and the next reservation would
 * fail. Moving or renaming the table keeps the sequence.
 */
async function refuseDroppingKeySequence(pool: pg.Pool, table: TableConfig): Promise<void> {
  const rows = await readColumnsFilledBySequence(pool, table.schema, table.name, table.primaryKey);
  if (rows.length > 0)
    throw new InvalidInputError(
      'drop',
      `${table.name}.${rows[0]!.column} is filled from ${rows[0]!.sequence}, which Convex's write paths reserve new ids from: dropping the table would drop it; keep the table (the default, or --rename-to)`,
    );
}

/** Keeps the table (moved or renamed) or drops it, and records the phase, in the decommission's transaction. */
async function retireTable(
  tx: pg.PoolClient,
  tool: ToolSchema,
  table: TableConfig,
  options: DecommissionOptions,
  now: Date,
): Promise<DecommissionResult> {
  const source = qualifiedTable(table);
  // Where the table is kept: the key reservation finds its sequence there (keys/reserveKeys.ts).
  let kept: { schema: string; table: string } | null;
  if (options.drop) {
    await tx.query(`DROP TABLE ${source}`);
    kept = null;
  } else if (options.renameTo) {
    await tx.query(`ALTER TABLE ${source} RENAME TO ${quoteIdentifier(options.renameTo)}`);
    kept = { schema: table.schema, table: options.renameTo };
  } else {
    const retired = options.retiredSchema ?? retiredSchemaOf(tool);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(retired)}`);
    await tx.query(`ALTER TABLE ${source} SET SCHEMA ${quoteIdentifier(retired)}`);
    kept = { schema: retired, table: table.name };
  }
  const keptAs = kept ? qualifiedName(kept.schema, kept.table) : null;
  await writePhase(tx, tool, table.name, 'decommissioned', now, false);
  await recordAudit(tx, tool, {
    actor: options.actor,
    action: 'decommission',
    target: table.name,
    detail: {
      keptAs,
      keptSchema: kept?.schema ?? null,
      keptTable: kept?.table ?? null,
      dropped: options.drop === true,
      why: options.why ?? null,
      at: now.toISOString(),
    },
  });
  return { table: table.name, keptAs };
}
