/** Whether a schema exists, and how much is in it. */
import type { Queryable } from '../database.js';

/** The number of relations (tables, views, sequences, indexes, …) in the schema, or null when there is no such schema. */
export async function readSchemaRelationCount(db: Queryable, schema: string): Promise<number | null> {
  const { rows } = await db.query<{ exists: boolean; relations: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists,
            (SELECT count(*)::int FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1) AS relations`,
    [schema],
  );
  return rows[0]!.exists ? rows[0]!.relations : null;
}
