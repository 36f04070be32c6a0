/**
 * The embedded PGlite server under concurrent clients: parameterized queries
 * from many connections must not clobber each other's unnamed portal, and
 * transactions must stay isolated per connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from '../../src/postgres/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/postgres/embedded.js';

describe('embedded PGlite over the wire protocol [pglite]', () => {
  let pg: EmbeddedPostgres;
  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir: 'memory://' });
  });
  afterAll(() => pg.stop());

  it('answers interleaved parameterized queries from many connections correctly', async () => {
    const pool = createPool(pg.url, 12);
    try {
      // Half the queries run inside transactions, which pin a connection's turn.
      const run = (i: number) =>
        i % 2 === 0
          ? withTransaction(pool, (tx) =>
              tx.query<{ v: number; s: string }>(
                `SELECT $1::int * ${(i % 7) + 2} AS v, $2::text AS s`,
                [i, `q${i}`],
              ),
            ).then((r) => r.rows[0])
          : pool
              .query<{ v: number; s: string }>(
                `SELECT $1::int * ${(i % 7) + 2} AS v, $2::text AS s`,
                [i, `q${i}`],
              )
              .then((r) => r.rows[0]);
      const results = await Promise.all(Array.from({ length: 240 }, (_, i) => run(i)));
      expect(results).toEqual(
        Array.from({ length: 240 }, (_, i) => ({ v: i * ((i % 7) + 2), s: `q${i}` })),
      );
    } finally {
      await pool.end();
    }
  });

  it('keeps concurrent transactions isolated and complete', async () => {
    const pool = createPool(pg.url, 8);
    try {
      await pool.query(
        'CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)',
      );
      await Promise.all(
        Array.from({ length: 40 }, () =>
          withTransaction(pool, async (tx) => {
            const { rows } = await tx.query<{ n: number }>(
              'SELECT n FROM counter WHERE id = $1 FOR UPDATE',
              [1],
            );
            await tx.query('UPDATE counter SET n = $2 WHERE id = $1', [1, rows[0]!.n + 1]);
          }),
        ),
      );
      expect((await pool.query('SELECT n FROM counter')).rows).toEqual([{ n: 40 }]);
    } finally {
      await pool.end();
    }
  });
});
