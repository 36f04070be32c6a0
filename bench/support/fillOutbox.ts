/**
 * Fills the outbox through the real capture trigger, for the relay benchmark:
 * many small transactions of story_done inserts, or story updates carrying
 * large text and JSON. Also puts drained events back to pending, so the same
 * events can be drained again with another worker count.
 */
import crypto from 'node:crypto';
import type pg from 'pg';

/** `events` story_done inserts, `perTransaction` rows per transaction (one INSERT … SELECT each). */
export async function fillSmallEvents(
  pool: pg.Pool,
  events: number,
  perTransaction: number,
): Promise<void> {
  const { rows } = await pool.query<{ stories: number; users: number }>(
    'SELECT (SELECT max(id) FROM story)::int AS stories, (SELECT max(id) FROM users)::int AS users',
  );
  const { stories, users } = rows[0]!;
  // Two connections keep both cores busy (one runs the trigger while the other's commit flushes).
  const lanes = 2;
  const transactions = Math.ceil(events / perTransaction);
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let t = lane; t < transactions; t += lanes) {
        const n = Math.min(perTransaction, events - t * perTransaction);
        await pool.query(
          `INSERT INTO story_done (story_id, user_id, time)
           SELECT 1 + (g % $2::int), 1 + (g % $3::int), now() - make_interval(secs => g)
             FROM generate_series($1::int, $1::int + $4::int - 1) g`,
          [t * perTransaction, stories, users, n],
        );
      }
    }),
  );
}

/** A text of `bytes` hex digits and a story-like JSON document of about `bytes` as text. */
function content(
  variant: number,
  textBytes: number,
  jsonBytes: number,
): { text: string; json: string } {
  const hex = (n: number) =>
    crypto
      .randomBytes(Math.ceil(n / 2))
      .toString('hex')
      .slice(0, n);
  // One element is about 89 bytes as JSON text.
  const elements = Array.from({ length: Math.ceil(jsonBytes / 89) }, (_, i) => ({
    id: i + 1,
    line: hex(64),
  }));
  return { text: hex(textBytes), json: JSON.stringify({ variant, elements }) };
}

/**
 * `events` story updates, one per transaction, each setting a text of about
 * `textBytes` and a json of about `jsonBytes` (random hex, so that TOAST
 * compression cannot shrink them to nothing). A few distinct contents are
 * generated once and rotated, so filling costs the trigger, not the generator.
 */
export async function fillLargeEvents(
  pool: pg.Pool,
  events: number,
  textBytes: number,
  jsonBytes: number,
): Promise<void> {
  const { rows } = await pool.query<{ id: number }>('SELECT id FROM story ORDER BY id');
  const ids = rows.map((r) => r.id);
  const contents = Array.from({ length: 8 }, (_, v) => content(v, textBytes, jsonBytes));
  const lanes = 2;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < events; i += lanes) {
        const c = contents[i % contents.length]!;
        await pool.query(
          'UPDATE story SET text = $2, json = $3::jsonb, change_date = now() WHERE id = $1',
          [ids[i % ids.length], c.text, c.json],
        );
      }
    }),
  );
}

/** Puts every outbox event back to pending (the row images stay as captured), then vacuums. */
export async function resetOutbox(pool: pg.Pool): Promise<void> {
  await pool.query(
    `UPDATE tandem.outbox
        SET status = 'pending', processed_at = NULL, attempts = 0, next_attempt_at = captured_at, last_error = NULL
      WHERE status <> 'pending'`,
  );
  await pool.query('DELETE FROM tandem.relay_claim');
  await pool.query('VACUUM ANALYZE tandem.outbox');
}

export interface OutboxSize {
  events: number;
  transactions: number;
  /** Mean size of the captured row image as JSON text. */
  meanRowBytes: number;
  /** On-disk size of the outbox with its TOAST and indexes. */
  totalBytes: number;
}

export async function outboxSize(pool: pg.Pool): Promise<OutboxSize> {
  const { rows } = await pool.query<OutboxSize>(
    `SELECT count(*)::int AS events, count(DISTINCT txid)::int AS transactions,
            coalesce(avg(octet_length("row"::text)), 0)::float8 AS "meanRowBytes",
            pg_total_relation_size('tandem.outbox')::float8 AS "totalBytes"
       FROM tandem.outbox`,
  );
  return rows[0]!;
}
