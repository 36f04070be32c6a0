/**
 * The sample's rows in the legacy `users` table. The SQL lives in sql/ (see the
 * comment in sql/sample-users-insert.sql): runtime code under src/ never holds
 * SQL on the legacy auth tables, it only loads these files.
 */
import fs from 'node:fs';
import type { Queryable } from 'tandem';
import { storySitePath } from '../../storySiteRoot.js';

const load = (file: string): string => fs.readFileSync(storySitePath('sql', file), 'utf8');

const insertUsersSql = load('sample-users-insert.sql');
const usersPresentSql = load('sample-users-present.sql');
const resetSql = load('sample-reset.sql');
const exportSql = load('legacy-users-export.sql');

/** Inserts users `first`..`last`, named by `sampleUserName`; returns how many. */
export async function insertSampleUsers(
  db: Queryable,
  first: number,
  last: number,
): Promise<number> {
  const { rows } = await db.query<{ inserted: number }>(insertUsersSql, [first, last]);
  return rows[0]?.inserted ?? 0;
}

export async function legacyUsersPresent(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(usersPresentSql);
  return rows[0]?.present === true;
}

/** Every user id, as the auth system's export would give them (the Convex write paths check against these). */
export async function exportLegacyUserIds(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(exportSql);
  return rows.map((r) => r.id);
}

/** Empties the ten tables and `users`, restarting their sequences (`--force`). */
export async function resetSampleTables(db: Queryable): Promise<void> {
  await db.query(resetSql);
}
