/**
 * The relay's SQL against the outbox: claiming whole Postgres transactions,
 * marking them done, scheduling retries, dead-lettering and pruning. Workers on
 * any number of machines coordinate only through these statements.
 *
 * Claiming takes a transaction-scoped advisory lock per txid before leasing its
 * events, so two workers can never each lease part of one Postgres transaction
 * (which would split it across two Convex mutations). A lease that expires
 * (its worker died) makes the events claimable again; applying them twice is
 * harmless because Convex applies by version.
 */
import type pg from 'pg';
import type { CapturedChange, CaptureOp } from '../core/changes.js';
import { withTransaction } from '../postgres/database.js';

/** Advisory-lock namespace for txid claims (first key of the two-key form). */
const CLAIM_LOCK_CLASS = 0x7a4d;

export interface ClaimedEvent extends CapturedChange {
  attempts: number;
  capturedAt: Date;
}

/** All claimed events of one Postgres transaction, in seq order. */
export interface ClaimedTransaction {
  txid: string;
  events: ClaimedEvent[];
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
 * Leases the oldest claimable transactions: pending, due, not leased (or lease
 * expired). Returns them grouped by txid; empty when nothing is claimable.
 *
 * Five statements, whatever the backlog: (0) read the paused tables; (1) read
 * the head of the pending index, leaving out transactions that touch a paused
 * table and skipping rows another worker is claiming right now (so concurrent
 * workers take different transactions instead of racing for the same ones);
 * (2) try the advisory locks of the chosen txids at once; (3) lease every
 * event of the txids won, again skipping rows locked by others; (4) give back
 * any txid whose events could not all be leased, so a transaction is never
 * applied in part.
 */
export async function claimTransactions(pool: pg.Pool, options: ClaimOptions): Promise<ClaimedTransaction[]> {
  return withTransaction(pool, async (tx) => {
    const paused = await tx.query<{ tables: string[] | null }>(
      `SELECT array_agg(table_name) AS tables FROM tandem.table_pause WHERE resumed_at IS NULL`,
    );
    const pausedTables = paused.rows[0]?.tables ?? null;
    // A Postgres transaction is applied whole, so one touching a paused table
    // waits with it; the check is left out of the plan when nothing is paused.
    const skipPaused = pausedTables
      ? `AND NOT EXISTS (SELECT 1 FROM tandem.outbox p
                          WHERE p.txid = tandem.outbox.txid AND p.status = 'pending'
                            AND p.table_name = ANY($3::text[]))`
      : '';
    const head = await tx.query<{ txid: string; bytes: number }>(
      `SELECT txid::text AS txid, coalesce(pg_column_size("row"), 0)::int AS bytes
         FROM tandem.outbox
        WHERE status = 'pending' AND next_attempt_at <= now()
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
          AND ($2::text IS NULL OR txid = $2::xid8)
          ${skipPaused}
        ORDER BY seq
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [Math.max(1, options.maxEvents), options.txid ?? null, ...(pausedTables ? [pausedTables] : [])],
    );
    const budget = options.maxBytes ?? DEFAULT_CLAIM_BYTES;
    const wanted: string[] = [];
    let bytes = 0;
    for (const row of head.rows) {
      if (!wanted.includes(row.txid)) {
        if (wanted.length > 0 && bytes >= budget) break;
        wanted.push(row.txid);
      }
      bytes += row.bytes;
    }
    if (wanted.length === 0) return [];
    const won = await tx.query<{ txid: string }>(
      `SELECT t AS txid FROM unnest($2::text[]) AS t
        WHERE pg_try_advisory_xact_lock($1, ((t::numeric) % 2147483647)::int)`,
      [CLAIM_LOCK_CLASS, wanted],
    );
    const txids = won.rows.map((r) => r.txid);
    if (txids.length === 0) return [];
    const { rows } = await tx.query<OutboxRow>(
      `WITH mine AS (
         SELECT seq FROM tandem.outbox
          WHERE txid = ANY($1::xid8[]) AND status = 'pending'
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          FOR UPDATE SKIP LOCKED)
       UPDATE tandem.outbox o
          SET leased_by = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM mine WHERE o.seq = mine.seq
       RETURNING ${EVENT_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}`,
      [txids, options.workerId, options.leaseMs],
    );
    const partial = await tx.query<{ txid: string }>(
      `SELECT DISTINCT txid::text AS txid FROM tandem.outbox
        WHERE txid = ANY($1::xid8[]) AND status = 'pending' AND leased_by IS DISTINCT FROM $2`,
      [txids, options.workerId],
    );
    if (partial.rows.length === 0) return groupByTxid(rows);
    const dropped = new Set(partial.rows.map((r) => r.txid));
    await tx.query(
      `UPDATE tandem.outbox SET leased_by = NULL, lease_expires_at = NULL
        WHERE txid = ANY($1::xid8[]) AND leased_by = $2`,
      [[...dropped], options.workerId],
    );
    return groupByTxid(rows.filter((r) => !dropped.has(r.txid)));
  });
}

/** Marks events applied. */
export async function completeEvents(pool: pg.Pool, seqs: number[]): Promise<void> {
  if (seqs.length === 0) return;
  await pool.query(
    `UPDATE tandem.outbox
        SET status = 'done', processed_at = now(), leased_by = NULL, lease_expires_at = NULL, last_error = NULL
      WHERE seq = ANY($1::bigint[]) AND status = 'pending'`,
    [seqs],
  );
}

/** Schedules another attempt after `delayMs`, counting it against the retry budget when `countAttempt`. */
export async function scheduleRetry(
  pool: pg.Pool,
  seqs: number[],
  delayMs: number,
  error: string,
  countAttempt: boolean,
): Promise<void> {
  if (seqs.length === 0) return;
  await pool.query(
    `UPDATE tandem.outbox
        SET attempts = attempts + $4::int, last_error = $3,
            next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
            leased_by = NULL, lease_expires_at = NULL
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
  pool: pg.Pool,
  items: Array<{ seq: number } & DeadLetterReason>,
): Promise<void> {
  if (items.length === 0) return;
  await withTransaction(pool, async (tx) => {
    await tx.query(
      `WITH reasons AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS r(seq, reason, rule, column_name)
       ), moved AS (
         UPDATE tandem.outbox o
            SET status = 'dead', processed_at = now(), leased_by = NULL, lease_expires_at = NULL,
                attempts = o.attempts + 1, last_error = r.reason
           FROM reasons r
          WHERE o.seq = r.seq AND o.status = 'pending'
          RETURNING o.*, r.reason, r.rule, r.column_name
       )
       INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, "row", unchanged, operation_key, reason, rule,
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

export async function outboxLag(pool: pg.Pool): Promise<OutboxLag> {
  const { rows } = await pool.query<{ pending: number; oldest: number | null }>(
    `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(captured_at))::float8 AS oldest
       FROM tandem.outbox WHERE status = 'pending'`,
  );
  return { pending: rows[0]!.pending, oldestPendingSeconds: rows[0]!.oldest ?? 0 };
}

/** Leaves out events held by a paused table: its own, and every event of a transaction that touches it. */
const NOT_HELD = `AND NOT EXISTS (SELECT 1 FROM tandem.outbox p JOIN tandem.table_pause tp ON tp.table_name = p.table_name
                     WHERE tp.resumed_at IS NULL AND p.txid = o.txid AND p.status = 'pending')`;

/** True when no event is pending (leased or not) other than those held by a paused table. */
export async function outboxDrained(pool: pg.Pool): Promise<boolean> {
  const { rowCount } = await pool.query(`SELECT 1 FROM tandem.outbox o WHERE status = 'pending' ${NOT_HELD} LIMIT 1`);
  return !rowCount;
}

/** Seconds until the earliest pending event not held by a paused table becomes claimable (0 if one is now), or null when none is pending. */
export async function secondsUntilNextClaimable(pool: pg.Pool): Promise<number | null> {
  const { rows } = await pool.query<{ wait: number | null }>(
    `SELECT extract(epoch FROM min(greatest(next_attempt_at, coalesce(lease_expires_at, next_attempt_at))) - now())::float8 AS wait
       FROM tandem.outbox o WHERE status = 'pending' ${NOT_HELD}`,
  );
  const wait = rows[0]!.wait;
  return wait === null ? null : Math.max(0, wait);
}

/**
 * The newest `limit` events of `table` already applied (status done, row image
 * kept until pruning), grouped by transaction in seq order: what an
 * idempotency drill replays.
 */
export async function appliedEvents(pool: pg.Pool, table: string, limit: number): Promise<ClaimedTransaction[]> {
  const { rows } = await pool.query<OutboxRow>(
    `SELECT ${EVENT_COLUMNS} FROM tandem.outbox
      WHERE table_name = $1 AND status = 'done'
      ORDER BY seq DESC LIMIT $2`,
    [table, limit],
  );
  return groupByTxid(rows);
}
