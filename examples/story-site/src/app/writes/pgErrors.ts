/**
 * Turns the Postgres errors a write can still hit after validation (a unique key
 * taken by a concurrent writer, a reference deleted meanwhile, a token whose
 * user has no row) into named errors. Their messages never carry Postgres's
 * own text (`detail` quotes the values, `Key (short)=(zzq) already exists.`):
 * what reaches a client is written here.
 */
import { ConflictError, InvalidInputError, UnknownUserError } from 'tandem';

interface PgError {
  code?: string;
  constraint?: string;
}

/** Key in ConstraintFields naming the field to blame for a value-too-long error. */
export const VALUE_TOO_LONG = '22001';

/** constraint name → input field it guards. */
export type ConstraintFields = Record<string, string>;

/**
 * The foreign keys to the legacy `users` table (sql/app-schema.sql). The user
 * id in them is the caller's, from its token, never from the input: a
 * violation means the token names a user the site does not have.
 */
const USER_FOREIGN_KEYS = new Set([
  'story_author_fkey',
  'story_author_change_fkey',
  'story_approval_user_id_fkey',
  'story_done_user_id_fkey',
]);

export function translatePgError(err: unknown, fields: ConstraintFields = {}): unknown {
  const e = err as PgError;
  if (e?.code === '23505') {
    const field = (e.constraint && fields[e.constraint]) || undefined;
    return new ConflictError(field ? `${field} is already taken` : 'already exists', field);
  }
  if (e?.code === '23503') {
    const field = e.constraint && fields[e.constraint];
    if (field) return new InvalidInputError(field, 'refers to a row that does not exist');
    if (e.constraint && USER_FOREIGN_KEYS.has(e.constraint)) return new UnknownUserError();
    return new InvalidInputError('(input)', 'refers to a row that does not exist');
  }
  if (e?.code === '22001') {
    // A derived value (not the raw input, which the schemas bound) outgrew its column.
    return new InvalidInputError(fields[VALUE_TOO_LONG] ?? '(input)', 'makes a derived value too long for its column');
  }
  return err;
}

export async function translatingPgErrors<T>(work: () => Promise<T>, fields?: ConstraintFields): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translatePgError(err, fields);
  }
}
