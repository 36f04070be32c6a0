/**
 * Write paths that cross groups at runtime: transactions in the outbox that
 * wrote tables of more than one saved group. `watchCrossings` reads the outbox
 * from where it last stopped (a checkpoint), records each crossing
 * transaction once (tandem.write_crossing), and reports it: a warning log
 * line and `tandem_write_group_crossings_total`. Whether a recorded
 * transaction still crosses is decided against the groups saved now, so
 * saving groups that join its tables resolves it.
 */
import type { Logger } from '../log.js';
import type { Queryable } from '../postgres/database.js';
import { findCrossings, type GroupCrossing, type WritePath } from './groups.js';
import { readWriteGroups } from './groupStore.js';
import type { WriteCutoverMetrics } from './metrics.js';
import { scanOutboxTransactions } from './writePaths.js';
import type { ToolSchema } from '../core/toolSchema.js';

const CHECKPOINT = 'write_crossings';

export interface RuntimeCrossing extends GroupCrossing {
  txid: string;
  operationKey: string | null;
  seenAt: Date;
}

/** The recorded transactions that still cross the saved groups, oldest first. */
export async function listRuntimeCrossings(db: Queryable, tool: ToolSchema): Promise<RuntimeCrossing[]> {
  const groups = await readWriteGroups(db, tool);
  const { rows } = await db.query<{
    txid: string;
    tables: string[];
    operation_key: string | null;
    seen_at: Date;
  }>(
    `SELECT txid, tables, operation_key, seen_at FROM ${tool.sql}.write_crossing ORDER BY seen_at, txid`,
  );
  return rows.flatMap((r) =>
    findCrossings(groups, [
      { name: `txid ${r.txid}`, tables: r.tables, source: 'transaction' },
    ]).map((c) => ({
      ...c,
      txid: r.txid,
      operationKey: r.operation_key,
      seenAt: r.seen_at,
    })),
  );
}

export interface WatchCrossingsOptions {
  log?: Logger;
  metrics?: Pick<WriteCutoverMetrics, 'crossings'>;
  /** Events read per page. Default 5,000. */
  pageSize?: number;
  /**
   * Events before the checkpoint read again (default 10,000). Outbox sequence
   * numbers are drawn at insert, so a transaction still open at the last scan
   * can commit with numbers below it; re-reading a window finds it (recording
   * is idempotent per txid).
   */
  overlap?: number;
}

/**
 * Reads the outbox events written since the last call and records and reports
 * the transactions among them that cross saved groups. Returns the new ones.
 */
export async function watchCrossings(
  db: Queryable, tool: ToolSchema,
  options: WatchCrossingsOptions = {},
): Promise<RuntimeCrossing[]> {
  const { rows } = await db.query<{ value: { lastSeq: number } }>(
    `SELECT value FROM ${tool.sql}.checkpoint WHERE name = $1`,
    [CHECKPOINT],
  );
  const checkpoint = rows[0]?.value.lastSeq ?? 0;
  const afterSeq = Math.max(0, checkpoint - (options.overlap ?? 10_000));
  const scan = await scanOutboxTransactions(db, tool, { afterSeq, pageSize: options.pageSize });
  const groups = await readWriteGroups(db, tool);
  const found: RuntimeCrossing[] = [];
  for (const t of scan.transactions) {
    const [crossing] = findCrossings(groups, [
      { name: `txid ${t.txid}`, tables: t.tables, source: 'transaction' },
    ]);
    if (!crossing) continue;
    const inserted = await db.query<{ seen_at: Date }>(
      `INSERT INTO ${tool.sql}.write_crossing (txid, tables, operation_key) VALUES ($1, $2, $3)
       ON CONFLICT (txid) DO NOTHING RETURNING seen_at`,
      [t.txid, t.tables, t.operationKey],
    );
    if (inserted.rows.length === 0) continue;
    const runtime = {
      ...crossing,
      txid: t.txid,
      operationKey: t.operationKey,
      seenAt: inserted.rows[0]!.seen_at,
    };
    found.push(runtime);
    options.metrics?.crossings.inc({ groups: crossing.groups.join('+') });
    options.log?.warn(
      {
        txid: t.txid,
        tables: crossing.tables,
        groups: crossing.groups,
        operationKey: t.operationKey,
      },
      'a transaction wrote tables of more than one write group',
    );
  }
  await db.query(
    `INSERT INTO ${tool.sql}.checkpoint (name, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [CHECKPOINT, JSON.stringify({ lastSeq: Math.max(checkpoint, scan.lastSeq) })],
  );
  return found;
}

/** Crossings of one group: recorded runtime ones, and those of write paths known now (e.g. a fresh inventory). */
export async function crossingsOfGroup(
  db: Queryable, tool: ToolSchema,
  group: string,
  writePaths: readonly WritePath[] = [],
): Promise<GroupCrossing[]> {
  const groups = await readWriteGroups(db, tool);
  const runtime = await listRuntimeCrossings(db, tool);
  return [...runtime, ...findCrossings(groups, writePaths)].filter((c) => c.groups.includes(group));
}
