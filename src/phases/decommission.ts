/**
 * `tandem decommission <table>`: the last step. Allowed only from `archived`
 * with a verified archive taken during the current freeze and a clean guard
 * scan. It removes capture, keeps the table (moved into a retired schema, or
 * renamed), drops it only when asked with a reason, and records the phase.
 * Adding the table to the guard's list is the caller's part (the CLI edits a
 * JSON config, or says which line to add), since the config is the
 * application's file.
 */
import type pg from 'pg';
import { recordAudit } from '../capture/audit.js';
import { uninstallCapture } from '../capture/uninstall.js';
import { InvalidInputError } from '../core/errors.js';
import {
  qualifiedTable,
  quoteIdentifier,
  requireTable,
  type MirrorConfig,
} from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { checklist, type ChecklistOptions } from './gates.js';
import { GateNotMetError } from './advance.js';
import { writePhase } from './store.js';
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
  const [list] = await checklist(pool, tool, mirror, [table.name], options);
  if (list!.phase !== 'archived')
    throw new InvalidInputError(
      'table',
      `${table.name} is ${list!.phase}: decommission only an archived table`,
    );
  const unmet = list!.gates.filter(
    (g) => (g.gate === 'archive-verified' || g.gate === 'guard-clean') && !g.met,
  );
  if (unmet.length > 0) throw new GateNotMetError(table.name, 'decommissioned', unmet);

  const now = options.now ?? new Date();
  // Capture first, in its own transaction: it needs the table where the mirror says it is.
  await uninstallCapture(pool, { schema: table.schema, tool, tables: [table.name] });
  return withTransaction(pool, async (tx) => {
    const source = qualifiedTable(table);
    let keptAs: string | null;
    if (options.drop) {
      await tx.query(`DROP TABLE ${source}`);
      keptAs = null;
    } else if (options.renameTo) {
      await tx.query(`ALTER TABLE ${source} RENAME TO ${quoteIdentifier(options.renameTo)}`);
      keptAs = `${table.schema}.${options.renameTo}`;
    } else {
      const retired = options.retiredSchema ?? retiredSchemaOf(tool);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(retired)}`);
      await tx.query(`ALTER TABLE ${source} SET SCHEMA ${quoteIdentifier(retired)}`);
      keptAs = `${retired}.${table.name}`;
    }
    await writePhase(tx, tool, table.name, 'decommissioned', now, false);
    await recordAudit(tx, tool, {
      actor: options.actor,
      action: 'decommission',
      target: table.name,
      detail: {
        keptAs,
        dropped: options.drop === true,
        why: options.why ?? null,
        at: now.toISOString(),
      },
    });
    return { table: table.name, keptAs };
  });
}
