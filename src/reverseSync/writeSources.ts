/**
 * Which side writes each table, for parity and repair, read from the saved
 * write groups (docs/parity.md, "Whichever side writes"). A group at `convex`
 * (held by a rollback or not) has Convex as its writer; `postgres` and
 * `convex-shadow` keep Postgres (the shadow writes only a scratch copy in
 * Convex). Tables in no saved group are written in Postgres.
 */
import type pg from 'pg';
import type { ParityReader } from '../convex/target.js';
import type { MirrorConfig } from '../mapping/index.js';
import { requireTable } from '../mapping/index.js';
import { pendingKeys, type PendingKeysReader, type WriteSource } from '../parity/confirm.js';
import { repairKeys, type RepairResult } from '../parity/repair.js';
import type { Queryable } from '../postgres/database.js';
import { readWriteGroups } from '../writeCutover/groupStore.js';
import type { ToolSchema } from '../core/toolSchema.js';
import { changeLogSource, type FunctionCaller } from './changeLog.js';
import { changeLogPendingKeys, repairFromConvex, type ConvexRepairResult } from './parity.js';

/** The writer of every table of a saved write group (tables in no group are absent: Postgres writes them). */
export async function savedWriteSources(db: Queryable, tool: ToolSchema): Promise<Record<string, WriteSource>> {
  const sources: Record<string, WriteSource> = {};
  for (const group of await readWriteGroups(db, tool))
    for (const table of group.tables) sources[table] = group.stage === 'convex' ? 'convex' : 'postgres';
  return sources;
}

/** A table's writer in `savedWriteSources`' answer: Postgres for a table in no saved group. */
export const writeSourceOf = (sources: Readonly<Record<string, WriteSource>>, table: string): WriteSource =>
  sources[table] ?? 'postgres';

/**
 * Pending keys of a Convex-written table: the change log after the
 * reverse-sync cursor, and the outbox too (an event captured before the
 * switch, or by a forced move, is still on its way to Convex).
 */
export function convexWriterPendingKeys(pool: pg.Pool, tool: ToolSchema, convex: FunctionCaller): PendingKeysReader {
  const changeLog = changeLogPendingKeys(pool, tool, changeLogSource(convex));
  return async (table, keys) => {
    const outbox = await pendingKeys(pool, tool, table, keys);
    const rest = keys.filter((k) => !outbox.has(k));
    return new Set([...outbox, ...(rest.length > 0 ? await changeLog(table, rest) : [])]);
  };
}

/** Parity's options for whichever side writes each table, from the saved write groups. */
export async function writerParityOptions(
  pool: pg.Pool, tool: ToolSchema,
  convex: FunctionCaller,
): Promise<{ sources: Record<string, WriteSource>; convexPendingKeys: PendingKeysReader }> {
  return { sources: await savedWriteSources(pool, tool), convexPendingKeys: convexWriterPendingKeys(pool, tool, convex) };
}

export type WriterRepairResult =
  | ({ source: 'postgres' } & RepairResult)
  | ({ source: 'convex' } & ConvexRepairResult);

/**
 * Repairs drifted keys from the table's writer: a Postgres-written table
 * re-emits its Postgres rows through the outbox (repairKeys); a Convex-written
 * one copies Convex's documents into Postgres (repairFromConvex), since outbox
 * events would outrank the writer's versions and overwrite its data in Convex.
 * `convex` is opened only for a Convex-written table.
 */
export async function repairFromWriter(
  pool: pg.Pool, tool: ToolSchema,
  config: MirrorConfig,
  table: string,
  keys: readonly string[],
  options: { source: WriteSource; convex: () => ParityReader; actor?: string },
): Promise<WriterRepairResult> {
  if (options.source === 'convex')
    return { source: 'convex', ...(await repairFromConvex(pool, tool, options.convex(), config, table, keys, options.actor)) };
  return { source: 'postgres', ...(await repairKeys(pool, tool, requireTable(config, table), keys, options.actor)) };
}
