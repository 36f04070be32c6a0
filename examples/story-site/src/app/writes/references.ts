/** Existence checks for ids given in a write's input, so the error names the field. */
import type pg from 'pg';
import { InvalidInputError, NotFoundError } from 'tandem';

type RefTable = 'language' | 'course' | 'image' | 'avatar' | 'story';

const EXISTS_SQL: Record<RefTable, string> = {
  language: 'SELECT 1 FROM language WHERE id = $1 FOR SHARE',
  course: 'SELECT 1 FROM course WHERE id = $1',
  image: 'SELECT 1 FROM image WHERE id = $1',
  avatar: 'SELECT 1 FROM avatar WHERE id = $1',
  story: 'SELECT 1 FROM story WHERE id = $1 AND NOT coalesce(deleted, false)',
};

/** A referenced row named in the body: missing means bad input (400, with the field). */
export async function requireReference(
  tx: pg.PoolClient,
  table: RefTable,
  id: number | string,
  field: string,
): Promise<void> {
  const { rowCount } = await tx.query(EXISTS_SQL[table], [id]);
  if (!rowCount) throw new InvalidInputError(field, `no ${table} with id ${JSON.stringify(id)}`);
}

/** The row the operation targets (named in the path): missing means not found (404). */
export async function requireTarget(
  tx: pg.PoolClient,
  table: RefTable,
  id: number | string,
): Promise<void> {
  const { rowCount } = await tx.query(EXISTS_SQL[table], [id]);
  if (!rowCount) throw new NotFoundError(table, id, 'id');
}
