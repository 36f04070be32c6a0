/**
 * The embedded PGlite server under concurrent clients: parameterized queries
 * from many connections must not clobber each other's unnamed portal,
 * transactions must stay isolated per connection, and a message of several
 * megabytes arrives whole and is copied once.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPool, withTransaction } from '../../src/postgres/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/postgres/embedded.js';
import { messageLength } from '../../src/postgres/pgliteWireQueue.js';

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

describe('large messages over the embedded wire protocol [pglite]', () => {
  let pg: EmbeddedPostgres;
  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir: 'memory://' });
  });
  afterAll(() => pg.stop());

  /** A text of `bytes` ASCII characters that differs per `seed`, so a mixed-up or cut message shows. */
  const bigText = (seed: number, bytes: number) =>
    Array.from({ length: Math.ceil(bytes / 16) }, (_, i) => `${seed}:${i}:`.padEnd(16, '.')).join('').slice(0, bytes);
  const md5 = (text: string) => crypto.createHash('md5').update(text).digest('hex');

  it('answers multi-megabyte parameters from several connections at once, interleaved with small queries', async () => {
    const pool = createPool(pg.url, 6);
    try {
      const texts = [3, 1, 4, 2].map((mb, i) => bigText(i, mb * 1024 * 1024 + i));
      const big = texts.map((text) =>
        pool.query<{ h: string; n: number }>('SELECT md5($1::text) AS h, length($1::text) AS n', [text]).then((r) => r.rows[0]),
      );
      const small = Array.from({ length: 20 }, (_, i) =>
        pool.query<{ v: number }>('SELECT $1::int + 1 AS v', [i]).then((r) => r.rows[0]!.v),
      );
      expect(await Promise.all(big)).toEqual(texts.map((text) => ({ h: md5(text), n: text.length })));
      expect(await Promise.all(small)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await pool.end();
    }
  });

  it('copies a large message into one buffer once, not once per arriving chunk', async () => {
    const pool = createPool(pg.url, 1);
    await pool.query('SELECT 1');
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const text = bigText(7, 4 * 1024 * 1024);
      const { rows } = await pool.query<{ h: string }>('SELECT md5($1::text) AS h', [text]);
      expect(rows[0]!.h).toBe(md5(text));
      // The socket delivers 4 MB in dozens of chunks; the server used to copy everything held so far on each.
      const largeCopies = concat.mock.calls.filter(([list]) => list.reduce((n, b) => n + b.length, 0) >= 256 * 1024);
      expect(largeCopies.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
      await pool.end();
    }
  });
});

describe('messageLength', () => {
  it('reads the length of a regular message from the bytes held and arriving, and 0 otherwise', () => {
    const bind = Buffer.from([0x42, 0x00, 0x10, 0x00, 0x04, 0x00]); // 'B', length 0x00100004
    expect(messageLength(Buffer.alloc(0), bind)).toBe(1 + 0x00100004);
    expect(messageLength(bind.subarray(0, 2), bind.subarray(2))).toBe(1 + 0x00100004);
    expect(messageLength(Buffer.alloc(0), bind.subarray(0, 4))).toBe(0);
    // A startup message has no type byte: its first byte is a small length's high byte.
    expect(messageLength(Buffer.alloc(0), Buffer.from([0x00, 0x00, 0x00, 0x50, 0x00, 0x03, 0x00, 0x00]))).toBe(0);
  });
});
