/**
 * Reverse-sync dead letters resolved by an operator, as the relay's are
 * (outbox/deadLetters.ts): retried or discarded, each audited.
 *
 * A retry applies the dead letter's own change to Postgres at its own version,
 * through the same versioned apply as the worker: a newer change of the key
 * that Postgres applied since (the dead letter was overtaken) still wins, and
 * the retry only resolves it. Its cursor position is long gone, so it is not
 * put back into the change log; it runs in its own transaction, beside the
 * worker (the key's version row serializes the two).
 */
import type pg from 'pg';
import { jsonToConvex, type JSONValue } from 'convex/values';
import { recordAudit } from '../capture/audit.js';
import { NotFoundError } from '../core/errors.js';
import { toolObjectLiteral, type ToolSchema } from '../core/toolSchema.js';
import type { MirrorConfig } from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { applyReverseChange, escapeForText } from './applyToPostgres.js';
import type { ChangeLogEntry } from './changeLog.js';

export interface ReverseRetryOutcome {
  id: number;
  table: string;
  key: string;
  version: number;
  /**
   * `applied`: Postgres now holds the change; `overtaken`: a newer version of
   * the key was already applied (nothing written); both resolve the dead
   * letter. `failed`: it still cannot be applied and stays unresolved, with
   * the new reason and one more attempt.
   */
  outcome: 'applied' | 'overtaken' | 'failed';
  error: string | null;
}

interface DeadLetterRow {
  id: string;
  seq: string;
  table_name: string;
  key: string;
  op: 'upsert' | 'delete';
  version: string;
  doc: JSONValue | null;
  doc_text: string | null;
}

const entity = 'reverse-sync dead letter (unresolved)';

/**
 * Retries the unresolved dead letters `ids` (or all of them), oldest first.
 * Unknown or already resolved ids are refused before anything is applied.
 */
export async function retryReverseDeadLetters(
  pool: pg.Pool,
  tool: ToolSchema,
  config: MirrorConfig,
  ids: number[] | 'all',
  actor: string,
): Promise<ReverseRetryOutcome[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM ${tool.sql}.reverse_sync_dead_letter
      WHERE resolved_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) ORDER BY id`,
    [ids === 'all' ? null : ids],
  );
  const found = rows.map((r) => Number(r.id));
  if (ids !== 'all') {
    const missing = ids.find((id) => !found.includes(id));
    if (missing !== undefined) throw new NotFoundError(entity, missing, 'id');
  }
  const outcomes: ReverseRetryOutcome[] = [];
  for (const id of found) {
    const outcome = await retryOne(pool, tool, config, id, actor).catch(async (err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      const { rows: failed } = await pool.query<Pick<DeadLetterRow, 'table_name' | 'key' | 'version'>>(
        `UPDATE ${tool.sql}.reverse_sync_dead_letter SET attempts = attempts + 1, reason = $2
          WHERE id = $1 AND resolved_at IS NULL RETURNING table_name, key, version`,
        [id, escapeForText(error)],
      );
      const row = failed[0];
      return row
        ? { id, table: row.table_name, key: row.key, version: Number(row.version), outcome: 'failed' as const, error }
        : null;
    });
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

/** One dead letter in its own transaction; null when another retry or discard resolved it meanwhile. */
async function retryOne(
  pool: pg.Pool,
  tool: ToolSchema,
  config: MirrorConfig,
  id: number,
  actor: string,
): Promise<ReverseRetryOutcome | null> {
  return withTransaction(
    pool,
    async (tx) => {
      const { rows } = await tx.query<DeadLetterRow>(
        `SELECT id, seq, table_name, key, op, version, doc, doc_text FROM ${tool.sql}.reverse_sync_dead_letter
          WHERE id = $1 AND resolved_at IS NULL FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      const json = row.doc_text === null ? row.doc : (JSON.parse(row.doc_text) as JSONValue);
      const entry: ChangeLogEntry = {
        seq: Number(row.seq),
        table: row.table_name,
        pgKey: row.key,
        op: row.op,
        version: Number(row.version),
        ...(json === null ? {} : { doc: jsonToConvex(json) as Record<string, unknown> }),
        loggedAt: 0,
      };
      // Overtaken: resolved without applying, even a change Postgres could never store.
      const { rows: newer } = await tx.query(
        `SELECT 1 FROM ${tool.sql}.reverse_sync_key WHERE table_name = $1 AND key = $2 AND version > $3 FOR UPDATE`,
        [entry.table, entry.pgKey, entry.version],
      );
      const applied =
        newer.length === 0 && (await applyReverseChange(tx, tool, config, entry)) === 'applied';
      const resolution = applied ? 'retried' : 'overtaken';
      await tx.query(
        `UPDATE ${tool.sql}.reverse_sync_dead_letter SET resolved_at = now(), resolution = $2 WHERE id = $1`,
        [id, resolution],
      );
      // As after a worker's page: a Postgres write after a rollback must get an outbox seq
      // above every Convex version applied, or the relay's versioned apply would ignore it.
      await tx.query(
        `SELECT setval(${toolObjectLiteral(tool, 'outbox_seq_seq')}, $1::bigint)
          WHERE $1::bigint > (SELECT last_value FROM ${tool.sql}.outbox_seq_seq)`,
        [entry.version],
      );
      await recordAudit(tx, tool, {
        actor,
        action: 'reverse-sync.dlq.retry',
        target: String(id),
        detail: { table: entry.table, key: entry.pgKey, version: entry.version, resolution },
      });
      return {
        id,
        table: entry.table,
        key: entry.pgKey,
        version: entry.version,
        outcome: applied ? ('applied' as const) : ('overtaken' as const),
        error: null,
      };
    },
    { settings: { 'tandem.reverse_sync': 'on' } },
  );
}

/** Marks a dead letter as discarded: an operator decided its change is not to reach Postgres. */
export async function discardReverseDeadLetter(
  pool: pg.Pool,
  tool: ToolSchema,
  id: number,
  actor: string,
  reason?: string,
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE ${tool.sql}.reverse_sync_dead_letter SET resolved_at = now(), resolution = 'discarded'
        WHERE id = $1 AND resolved_at IS NULL`,
      [id],
    );
    if (!rowCount) throw new NotFoundError(entity, id, 'id');
    await recordAudit(tx, tool, {
      actor,
      action: 'reverse-sync.dlq.discard',
      target: String(id),
      detail: { reason: reason ?? null },
    });
  });
}

/** Unresolved dead letters of these tables (all tables when omitted): changes Postgres never got. */
export async function countReverseDeadLetters(
  db: pg.Pool | pg.ClientBase,
  tool: ToolSchema,
  tables?: readonly string[],
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${tool.sql}.reverse_sync_dead_letter
      WHERE resolved_at IS NULL AND ($1::text[] IS NULL OR table_name = ANY($1::text[]))`,
    [tables ? [...tables] : null],
  );
  return rows[0]!.n;
}
