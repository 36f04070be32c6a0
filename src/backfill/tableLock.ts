/**
 * One backfill per table at a time, across processes and machines: a session
 * advisory lock per table, held on a connection of its own for the table's
 * run. A process that dies loses its connection and with it the lock, so a
 * crashed run never blocks the resume. (Two runs at once would still be safe,
 * since every row goes through the versioned apply, but they would waste work
 * and move one checkpoint back and forth.) Backfills started in several
 * processes share the tables through these locks: each copies the tables no
 * other holds, then waits for the rest (src/backfill/backfill.ts).
 */
import type pg from 'pg';
import { toolLockKey, type ToolSchema } from '../core/toolSchema.js';

/** First half of the two-part advisory lock key for the default tool schema (others derive theirs from the name). */
const BACKFILL_LOCK_CLASS = 746_162_003;

export interface TableLock {
  release(): Promise<void>;
}

/** The table's lock, or null when another process holds it. */
export async function tryLockTable(pool: pg.Pool, tool: ToolSchema, table: string): Promise<TableLock | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked',
      [toolLockKey(tool, 'backfill', BACKFILL_LOCK_CLASS), table],
    );
    if (!rows[0]?.locked) {
      client.release();
      return null;
    }
  } catch (err) {
    client.release();
    throw err;
  }
  return {
    async release() {
      try {
        await client.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [
          toolLockKey(tool, 'backfill', BACKFILL_LOCK_CLASS),
          table,
        ]);
        client.release();
      } catch (err) {
        // A broken connection releases the lock by closing; drop it from the pool.
        client.release(err as Error);
      }
    },
  };
}
