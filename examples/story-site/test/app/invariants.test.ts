import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVARIANTS, statusForApprovalCount } from '../../src/app/invariants/definitions.js';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import { createAppSchema } from '../../src/app/schema.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';

const backends = await availableBackends();

// A small data set that satisfies all six invariants, including the edge cases
// the checker must accept: a course with NULL languages and NULL count, a story
// with NULL status and no approvals, a deleted story (excluded from the course
// aggregates but still subject to the status rule), a story without a course.
const CONSISTENT_DATA = `
  INSERT INTO users (id, name, email) VALUES (1, 'u1', 'u1@x'), (2, 'u2', 'u2@x'), (3, 'u3', 'u3@x');
  INSERT INTO language (id, name, short, rtl) VALUES
    (1, 'English', 'en', false), (2, 'العربية', 'ar', true), (3, 'Español', 'es', false), (4, '日本語', 'ja', false);
  INSERT INTO image (id, active, gilded, locked, active_lip, gilded_lip) VALUES ('img1', 'a', 'g', 'l', 'FFFFFF', '000000');
  INSERT INTO course (id, short, learning_language, from_language, name, count,
                      learning_language_name, from_language_name, todo_count) VALUES
    (1, 'es-en', 3, 1, NULL, 1, 'Español', 'English', 3),
    (2, 'ja-ar', 4, 2, 'Japanese', 0, '日本語', 'العربية', 0),
    (3, NULL, NULL, NULL, 'Orphan', NULL, 'stale but unchecked', NULL, 0);
  INSERT INTO story (id, name, set_id, set_index, course_id, public, deleted, status, date_published, todo_count, image) VALUES
    (1, 'one', 1, 1, 1, true, false, 'finished', '2024-02-01T00:00:00Z', 1, 'img1'),
    (2, 'two', 1, 2, 1, false, false, 'draft', NULL, 2, NULL),
    (3, 'three', 1, 3, 1, false, true, 'feedback', NULL, 5, NULL),
    (4, 'four', 1, 1, 2, false, false, NULL, NULL, 0, NULL),
    (5, 'five', 1, 1, NULL, false, NULL, 'draft', NULL, 7, NULL),
    (6, 'six', 1, 2, 2, true, true, 'finished', '2024-03-01T00:00:00Z', 4, NULL);
  INSERT INTO story_approval (story_id, user_id) VALUES (1, 1), (1, 2), (3, 3), (6, 1), (6, 2), (6, 3);
`;

interface BreakCase {
  title: string;
  sql: string;
  expected: Array<{ invariant: number; table: 'course' | 'story'; key: number }>;
}

const BREAKS: BreakCase[] = [
  {
    title: '1: stale count',
    sql: 'UPDATE course SET count = 2 WHERE id = 1',
    expected: [{ invariant: 1, table: 'course', key: 1 }],
  },
  {
    title: '1: a story published behind the course',
    sql: `UPDATE story SET public = true, date_published = now() WHERE id = 4`,
    expected: [{ invariant: 1, table: 'course', key: 2 }],
  },
  {
    title: '1: NULL count with a public story',
    sql: 'UPDATE course SET count = NULL WHERE id = 1',
    expected: [{ invariant: 1, table: 'course', key: 1 }],
  },
  {
    title: '2: stale todo_count after a story change',
    sql: 'UPDATE story SET todo_count = 9 WHERE id = 2',
    expected: [{ invariant: 2, table: 'course', key: 1 }],
  },
  {
    title: '3: language renamed without updating its course',
    sql: `UPDATE language SET name = 'Espagnol' WHERE id = 3`,
    expected: [{ invariant: 3, table: 'course', key: 1 }],
  },
  {
    title: '3: from_language_name set to NULL',
    sql: 'UPDATE course SET from_language_name = NULL WHERE id = 2',
    expected: [{ invariant: 3, table: 'course', key: 2 }],
  },
  {
    title: '4: approval removed, status left finished',
    sql: 'DELETE FROM story_approval WHERE story_id = 1 AND user_id = 2',
    expected: [{ invariant: 4, table: 'story', key: 1 }],
  },
  {
    title: '4: deleted story with a stale status',
    sql: 'DELETE FROM story_approval WHERE story_id = 3',
    expected: [{ invariant: 4, table: 'story', key: 3 }],
  },
  {
    title: '4: NULL status with one approval',
    sql: 'INSERT INTO story_approval (story_id, user_id) VALUES (4, 1)',
    expected: [{ invariant: 4, table: 'story', key: 4 }],
  },
  {
    title: '5: public (deleted) story without date_published',
    sql: 'UPDATE story SET date_published = NULL WHERE id = 6',
    expected: [{ invariant: 5, table: 'story', key: 6 }],
  },
  {
    title: '6: short not derived from the languages',
    sql: `UPDATE course SET short = 'en-es' WHERE id = 1`,
    expected: [{ invariant: 6, table: 'course', key: 1 }],
  },
];

describe('invariant definitions', () => {
  it('lists the six invariants in order with names', () => {
    expect(INVARIANTS.map((d) => [d.invariant, d.name, d.table])).toEqual([
      [1, 'course-count', 'course'],
      [2, 'course-todo-count', 'course'],
      [3, 'course-language-names', 'course'],
      [4, 'story-status', 'story'],
      [5, 'story-published-date', 'story'],
      [6, 'course-short', 'course'],
    ]);
  });

  it('maps approval counts to statuses', () => {
    expect([0, 1, 2, 3, 10].map(statusForApprovalCount)).toEqual([
      'draft',
      'feedback',
      'finished',
      'finished',
      'finished',
    ]);
  });
});

describe.each(backends)('checkInvariantsPostgres [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await db.pool.query(CONSISTENT_DATA);
  });
  afterAll(async () => {
    await db?.close();
  });

  /** Applies `sql` in a transaction, checks, and rolls back so cases stay independent. */
  async function checkAfter(sql: string) {
    const client: pg.PoolClient = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(sql);
      return await checkInvariantsPostgres(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('finds nothing in a consistent database, edge cases included', async () => {
    expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
  });

  it.each(BREAKS)('finds exactly the broken invariant: $title', async ({ sql, expected }) => {
    const violations = await checkAfter(sql);
    expect(violations.map(({ invariant, table, key }) => ({ invariant, table, key }))).toEqual(
      expected,
    );
  });

  it('describes the drift in the detail', async () => {
    const violations = await checkAfter(`UPDATE language SET name = 'Espagnol' WHERE id = 3`);
    expect(violations).toEqual([
      {
        invariant: 3,
        name: 'course-language-names',
        table: 'course',
        key: 1,
        detail: 'learning_language_name is "Español", language name is "Espagnol"',
      },
    ]);
  });

  it('reports several violations ordered by invariant then key, and honours only/limit', async () => {
    const sql = `UPDATE course SET count = 5, short = 'zz-' || id WHERE id IN (1, 2);
                 UPDATE story SET status = 'finished' WHERE id IN (2, 4)`;
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(sql);
      const all = await checkInvariantsPostgres(client);
      expect(all.map((v) => [v.invariant, v.key])).toEqual([
        [1, 1],
        [1, 2],
        [4, 2],
        [4, 4],
        [6, 1],
        [6, 2],
      ]);
      const limited = await checkInvariantsPostgres(client, { only: [4, 1], limitPerInvariant: 1 });
      expect(limited.map((v) => [v.invariant, v.key])).toEqual([
        [1, 1],
        [4, 2],
      ]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
