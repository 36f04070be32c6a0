/**
 * Parity and repair when Convex writes a table (docs/reverse-sync.md,
 * "Parity both ways"). Parity itself is symmetric (the same canonical hash on
 * both sides); what depends on the writer is where unapplied changes wait
 * (the change log after the reverse-sync cursor) and which side a repair
 * copies from: Convex's documents, re-applied into Postgres through the
 * reverse-sync apply.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { ParityReader } from '../convex/target.js';
import { requireTable, type MirrorConfig } from '../mapping/index.js';
import type { PendingKeysReader } from '../parity/confirm.js';
import { convexRowsByKeys } from '../parity/convexReads.js';
import { withTransaction } from '../postgres/database.js';
import { readCursor } from './applyPage.js';
import { applyReverseChange } from './applyToPostgres.js';
import type { ChangeLogEntry, ChangeLogSource } from './changeLog.js';
import type { ToolSchema } from '../core/toolSchema.js';

const PAGE = 1000;
/** How far into the log a pending-keys read looks; past it, every asked key counts as pending. */
const MAX_SCANNED = 50_000;

/** Keys with change-log entries not yet committed in Postgres, for parity's confirm step. */
export function changeLogPendingKeys(pool: pg.Pool, tool: ToolSchema, source: ChangeLogSource): PendingKeysReader {
  return async (table, keys) => {
    const wanted = new Set(keys);
    const pending = new Set<string>();
    let cursor = await readCursor(pool, tool);
    for (let scanned = 0; ; scanned += PAGE) {
      if (scanned >= MAX_SCANNED) return wanted;
      const page = await source.readChangeLog(cursor, PAGE);
      for (const entry of page.entries)
        if (entry.table === table && wanted.has(entry.pgKey)) pending.add(entry.pgKey);
      if (page.entries.length < PAGE) return pending;
      cursor = page.entries.at(-1)!.seq;
    }
  };
}

export interface ConvexRepairResult {
  table: string;
  operationKey: string;
  /** Keys whose Convex document was written into Postgres. */
  upserts: number;
  /** Keys Convex no longer has, deleted from Postgres. */
  deletes: number;
  /** Keys left alone: Postgres has a newer Convex version recorded (its change is on the way). */
  skipped: number;
}

const CHUNK = 500;

/**
 * Repairs drifted keys of a Convex-written table: each key's Convex document
 * (or its absence) is applied to Postgres through the reverse-sync apply, at
 * the document's version, with the same-version rule relaxed (the row drifted
 * under that version). One transaction per 500 keys; audited.
 */
export async function repairFromConvex(
  pool: pg.Pool, tool: ToolSchema,
  reader: ParityReader,
  config: MirrorConfig,
  tableName: string,
  keys: readonly string[],
  actor = 'tandem',
): Promise<ConvexRepairResult> {
  const table = requireTable(config, tableName);
  const operationKey = `repair:${crypto.randomUUID()}`;
  const result: ConvexRepairResult = {
    table: table.name,
    operationKey,
    upserts: 0,
    deletes: 0,
    skipped: 0,
  };
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const rows = await convexRowsByKeys(reader, table.name, chunk);
    await withTransaction(
      pool,
      async (tx) => {
        const recorded = await tx.query<{ key: string; version: string }>(
          `SELECT key, version FROM ${tool.sql}.reverse_sync_key WHERE table_name = $1 AND key = ANY($2::text[])`,
          [table.name, chunk],
        );
        const versions = new Map(recorded.rows.map((r) => [r.key, Number(r.version)]));
        for (const key of chunk) {
          const row = rows.get(key);
          const entry: ChangeLogEntry = row
            ? {
                seq: 0,
                table: table.name,
                pgKey: key,
                op: 'upsert',
                version: row.version,
                doc: row.columns,
                loggedAt: 0,
              }
            : {
                seq: 0,
                table: table.name,
                pgKey: key,
                op: 'delete',
                version: versions.get(key) ?? 0,
                loggedAt: 0,
              };
          const outcome = await applyReverseChange(tx, tool, config, entry, { sameVersion: true });
          if (outcome === 'skipped') result.skipped++;
          else if (row) result.upserts++;
          else result.deletes++;
        }
      },
      { settings: { 'tandem.reverse_sync': 'on', 'tandem.operation_key': operationKey } },
    );
  }
  if (unique.length > 0) {
    await pool.query(
      `INSERT INTO ${tool.sql}.audit_log (actor, action, target, detail) VALUES ($1, 'parity.repair', $2, $3)`,
      [actor, table.name, JSON.stringify({ ...result, source: 'convex' })],
    );
  }
  return result;
}
