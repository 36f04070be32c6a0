/**
 * The relay's SQL against the outbox: claiming whole Postgres transactions,
 * marking them done, scheduling retries, dead-lettering and pruning. Workers on
 * any number of machines coordinate only through these statements.
 *
 * A claim is one row of tandem.relay_claim holding the txids it took and when
 * its lease expires (migration 0016): the outbox rows themselves are written
 * once per event, when their outcome is recorded, not also when they are
 * claimed. Claiming and completing a round are one statement each, functions
 * of migration 0019, so no network round trip happens under the relay-wide
 * claim lock. A lease that expires (its worker died) makes the transactions
 * claimable again; applying them twice is harmless because Convex applies by
 * version.
 */
import type pg from 'pg';
import type { CapturedChange, CaptureOp } from '../core/changes.js';
import { withTransaction } from '../postgres/database.js';
import { toolLockKey, type ToolSchema } from '../core/toolSchema.js';

/** Advisory-lock namespace for txid claims (first key of the two-key form; the default tool schema's, see toolLockKey). */
const CLAIM_LOCK_CLASS = 0x7a4d;
/** Advisory lock (this class, key 0) held by a relay worker while it claims: relay claims run one at a time. */
const RELAY_CLAIM_LOCK_CLASS = 0x7a4e;

export interface ClaimedEvent extends CapturedChange {
  attempts: number;
  capturedAt: Date;
}

/** All claimed events of one Postgres transaction, in seq order. */
export interface ClaimedTransaction {
  txid: string;
  events: ClaimedEvent[];
}

/** What one claim leased: released by `releaseClaim` when its round ends, or expiring with its lease. */
export interface Claim {
  id: string;
  transactions: ClaimedTransaction[];
}

interface OutboxRow {
  seq: string;
  txid: string;
  table_name: string;
  key: string;
  op: CaptureOp;
  row: Record<string, unknown> | null;
  unchanged: string[] | null;
  operation_key: string | null;
  attempts: number;
  captured_at: Date;
}

const EVENT_COLUMNS = 'seq, txid::text AS txid, table_name, key, op, "row", unchanged, operation_key, attempts, captured_at';

function toEvent(r: OutboxRow): ClaimedEvent {
  return {
    seq: Number(r.seq),
    txid: r.txid,
    table: r.table_name,
    key: r.key,
    op: r.op,
    row: r.row,
    ...(r.unchanged ? { unchanged: r.unchanged } : {}),
    operationKey: r.operation_key,
    attempts: r.attempts,
    capturedAt: r.captured_at,
  };
}

function groupByTxid(rows: OutboxRow[]): ClaimedTransaction[] {
  const byTxid = new Map<string, ClaimedEvent[]>();
  for (const row of rows) {
    const list = byTxid.get(row.txid) ?? [];
    list.push(toEvent(row));
    byTxid.set(row.txid, list);
  }
  return [...byTxid.entries()]
    .map(([txid, events]) => ({ txid, events: events.sort((a, b) => a.seq - b.seq) }))
    .sort((a, b) => a.events[0]!.seq - b.events[0]!.seq);
}

export interface ClaimOptions {
  workerId: string;
  /** Pending events looked at from the head of the outbox; their transactions are claimed whole. */
  maxEvents: number;
  /** Stop adding transactions once their stored row images reach this many bytes (compressed size). */
  maxBytes?: number;
  leaseMs: number;
  /** Claim only this transaction (the mirror helper's fast path). */
  txid?: string;
}

/** Default byte budget of one claim: keeps a worker's memory bounded when rows are large. */
export const DEFAULT_CLAIM_BYTES = 16 * 1024 * 1024;

/**
 * Leases the oldest claimable transactions: pending, due, in no live claim.
 * Returns the claim with its events grouped by txid, or null when nothing was
 * claimable.
 *
 * The claim is one statement, `claim_transactions` (migration 0019): relay
 * workers claim one at a time under an advisory lock held only while that
 * statement runs, so each sees every claim committed before it and none races
 * another for the same head, and no network round trip happens under the
 * lock. The fast path claims its one txid without that lock; each claimer
 * therefore also takes the txid's own advisory lock and checks the live claims
 * again after taking it. The events are read after the claim committed. No
 * outbox row is written.
 */
export async function claimTransactions(pool: pg.Pool, tool: ToolSchema, options: ClaimOptions): Promise<Claim | null> {
  const { rows: claims } = await pool.query<{ id: string; txids: string[] }>(
    `SELECT claim_id::text AS id, claimed::text[] AS txids
       FROM ${tool.sql}.claim_transactions($1, $2, $3, $4, $5::xid8, $6, $7)`,
    [
      options.workerId,
      Math.max(1, options.maxEvents),
      options.maxBytes ?? DEFAULT_CLAIM_BYTES,
      options.leaseMs,
      options.txid ?? null,
      toolLockKey(tool, 'relay-claim', RELAY_CLAIM_LOCK_CLASS),
      toolLockKey(tool, 'txid-claim', CLAIM_LOCK_CLASS),
    ],
  );
  const claimed = claims[0];
  if (!claimed) return null;
  const { rows } = await pool.query<OutboxRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${tool.sql}.outbox
      WHERE txid = ANY($1::xid8[]) AND status = 'pending'
      ORDER BY seq`,
    [claimed.txids],
  );
  // Its events were applied by someone else between the head and the claim.
  if (rows.length === 0) {
    await releaseClaim(pool, tool, claimed.id);
    return null;
  }
  return { id: claimed.id, transactions: groupByTxid(rows) };
}

/** Ends a claim's lease (its round is over): events still pending are claimable again when due. */
export async function releaseClaim(pool: pg.Pool, tool: ToolSchema, id: string): Promise<void> {
  await completeEvents(pool, tool, [], id);
}

/**
 * Marks events applied; given a claim, also ends its lease in the same
 * statement (the last call of a round), so a round ends with one write.
 */
export async function completeEvents(pool: pg.Pool, tool: ToolSchema, seqs: number[], releasing?: string): Promise<void> {
  if (seqs.length === 0 && releasing === undefined) return;
  await pool.query(`SELECT ${tool.sql}.complete_claim($1::bigint[], $2::bigint)`, [seqs, releasing ?? null]);
}

/** Schedules another attempt after `delayMs`, counting it against the retry budget when `countAttempt`. */
export async function scheduleRetry(
  pool: pg.Pool, tool: ToolSchema,
  seqs: number[],
  delayMs: number,
  error: string,
  countAttempt: boolean,
): Promise<void> {
  if (seqs.length === 0) return;
  await pool.query(
    `UPDATE ${tool.sql}.outbox
        SET attempts = attempts + $4::int, last_error = $3,
            next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
      WHERE seq = ANY($1::bigint[]) AND status = 'pending'`,
    [seqs, delayMs, error.slice(0, 2000), countAttempt ? 1 : 0],
  );
}

export interface DeadLetterReason {
  reason: string;
  rule?: string;
  column?: string;
}

/** Moves events to the dead-letter table (one transaction: copied there, marked dead here). */
export async function deadLetterEvents(
  pool: pg.Pool, tool: ToolSchema,
  items: Array<{ seq: number } & DeadLetterReason>,
): Promise<void> {
  if (items.length === 0) return;
  await withTransaction(pool, async (tx) => {
    await tx.query(
      `WITH reasons AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS r(seq, reason, rule, column_name)
       ), moved AS (
         UPDATE ${tool.sql}.outbox o
            SET status = 'dead', processed_at = now(),
                attempts = o.attempts + 1, last_error = r.reason
           FROM reasons r
          WHERE o.seq = r.seq AND o.status = 'pending'
          RETURNING o.*, r.reason, r.rule, r.column_name
       )
       INSERT INTO ${tool.sql}.dead_letter (seq, txid, table_name, key, op, "row", unchanged, operation_key, reason, rule,
                                       column_name, attempts, first_failed_at)
       SELECT seq, txid, table_name, key, op, "row", unchanged, operation_key, reason, rule, column_name, attempts,
              captured_at
         FROM moved`,
      [
        items.map((i) => i.seq),
        items.map((i) => i.reason.slice(0, 2000)),
        items.map((i) => i.rule ?? null),
        items.map((i) => i.column ?? null),
      ],
    );
  });
}

export interface OutboxLag {
  pending: number;
  oldestPendingSeconds: number;
}

export async function outboxLag(pool: pg.Pool, tool: ToolSchema): Promise<OutboxLag> {
  const { rows } = await pool.query<{ pending: number; oldest: number | null }>(
    `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(captured_at))::float8 AS oldest
       FROM ${tool.sql}.outbox WHERE status = 'pending'`,
  );
  return { pending: rows[0]!.pending, oldestPendingSeconds: rows[0]!.oldest ?? 0 };
}

/** Leaves out events held by a paused table: its own, and every event of a transaction that touches it. */
const notHeld = (tool: ToolSchema) => `AND NOT EXISTS (SELECT 1 FROM ${tool.sql}.outbox p JOIN ${tool.sql}.table_pause tp ON tp.table_name = p.table_name
                     WHERE tp.resumed_at IS NULL AND p.txid = o.txid AND p.status = 'pending')`;

/** True when no event is pending (leased or not) other than those held by a paused table. */
export async function outboxDrained(pool: pg.Pool, tool: ToolSchema): Promise<boolean> {
  const { rowCount } = await pool.query(`SELECT 1 FROM ${tool.sql}.outbox o WHERE status = 'pending' ${notHeld(tool)} LIMIT 1`);
  return !rowCount;
}

/** Seconds until the earliest pending event not held by a paused table becomes claimable (0 if one is now), or null when none is pending. */
export async function secondsUntilNextClaimable(pool: pg.Pool, tool: ToolSchema): Promise<number | null> {
  const { rows } = await pool.query<{ wait: number | null }>(
    `WITH leased AS (
       SELECT t AS txid, max(expires_at) AS expires_at
         FROM ${tool.sql}.relay_claim, unnest(txids) AS t WHERE expires_at > now() GROUP BY t)
     SELECT extract(epoch FROM min(greatest(o.next_attempt_at, coalesce(l.expires_at, o.next_attempt_at))) - now())::float8 AS wait
       FROM ${tool.sql}.outbox o LEFT JOIN leased l ON l.txid = o.txid WHERE status = 'pending' ${notHeld(tool)}`,
  );
  const wait = rows[0]!.wait;
  return wait === null ? null : Math.max(0, wait);
}

/**
 * The newest `limit` events of `table` already applied (status done, row image
 * kept until pruning), grouped by transaction in seq order: what an
 * idempotency drill replays.
 */
export async function appliedEvents(pool: pg.Pool, tool: ToolSchema, table: string, limit: number): Promise<ClaimedTransaction[]> {
  const { rows } = await pool.query<OutboxRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${tool.sql}.outbox
      WHERE table_name = $1 AND status = 'done'
      ORDER BY seq DESC LIMIT $2`,
    [table, limit],
  );
  return groupByTxid(rows);
}
