/**
 * Where write paths come from: the inventory's write sites (static, from the
 * application's source) and the transactions the outbox holds (runtime:
 * pending events and processed ones still retained). A transaction that
 * wrote one table joins nothing, so only multi-table ones are returned.
 */
import type { Inventory } from '../inventory/buildInventory.js';
import { DYNAMIC_TABLE } from '../inventory/dynamicTable.js';
import type { Queryable } from '../postgres/database.js';
import type { WritePath } from './groups.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** One write path per write site, named `file:name` (with the HTTP method of a route handler). */
export function writePathsFromInventory(inventory: Pick<Inventory, 'sites'>): WritePath[] {
  return inventory.sites.map((site) => ({
    name: `${site.file}:${site.name}${site.method ? ` (${site.method})` : ''}`,
    tables: [...new Set(site.writes.map((w) => w.table).filter((t) => t !== DYNAMIC_TABLE))].sort(),
    source: 'inventory' as const,
  }));
}

/** A Postgres transaction of the outbox that wrote more than one table. */
export interface ObservedTransaction {
  txid: string;
  tables: string[];
  /** Its last outbox sequence number. */
  lastSeq: number;
  /** The operation key the mirror helper set, null for an untracked write. */
  operationKey: string | null;
}

export interface OutboxScan {
  transactions: ObservedTransaction[];
  /** The highest sequence number looked at (pass as `afterSeq` to read on). */
  lastSeq: number;
}

/**
 * The multi-table transactions among the outbox rows after `afterSeq`, read a
 * page of `pageSize` events at a time (whole transactions: a page's txids are
 * read with all their events, through the outbox's (txid, seq) index).
 */
export async function scanOutboxTransactions(
  db: Queryable, tool: ToolSchema,
  options: { afterSeq?: number; pageSize?: number; maxPages?: number } = {},
): Promise<OutboxScan> {
  const pageSize = options.pageSize ?? 5000;
  // Up to the outbox's head when the scan starts: under live writes a scan
  // that chased new events would never end (PGlite's slower pages never
  // caught up), and events after the start are the next scan's.
  const { rows: head } = await db.query<{ head: string | null }>(
    `SELECT max(seq)::text AS head FROM ${tool.sql}.outbox`,
  );
  const upTo = Number(head[0]!.head ?? 0);
  const byTxid = new Map<string, ObservedTransaction>();
  let lastSeq = options.afterSeq ?? 0;
  for (let page = 0; page < (options.maxPages ?? Number.POSITIVE_INFINITY); page++) {
    const { rows } = await db.query<{
      txid: string;
      tables: string[];
      last_seq: string;
      operation_key: string | null;
      page_end: string | null;
    }>(
      `WITH head AS (SELECT seq, txid FROM ${tool.sql}.outbox WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2),
            page AS (SELECT DISTINCT txid FROM head)
       SELECT o.txid::text AS txid, array_agg(DISTINCT o.table_name ORDER BY o.table_name) AS tables,
              max(o.seq)::text AS last_seq, min(o.operation_key) AS operation_key,
              (SELECT max(seq) FROM head)::text AS page_end
         FROM ${tool.sql}.outbox o JOIN page ON page.txid = o.txid
        GROUP BY o.txid`,
      [lastSeq, pageSize, upTo],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      if (r.tables.length > 1)
        byTxid.set(r.txid, {
          txid: r.txid,
          tables: r.tables,
          lastSeq: Number(r.last_seq),
          operationKey: r.operation_key,
        });
    }
    lastSeq = Number(rows[0]!.page_end);
    if (lastSeq >= upTo) break;
  }
  return { transactions: [...byTxid.values()].sort((a, b) => a.lastSeq - b.lastSeq), lastSeq };
}

/** Observed transactions as write paths, one per distinct table set (named by its first txid). */
export function writePathsFromTransactions(
  transactions: readonly ObservedTransaction[],
): WritePath[] {
  const bySet = new Map<string, WritePath>();
  for (const t of transactions) {
    const key = t.tables.join('\0');
    if (!bySet.has(key))
      bySet.set(key, { name: `txid ${t.txid}`, tables: t.tables, source: 'transaction' });
  }
  return [...bySet.values()];
}
