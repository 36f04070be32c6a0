/**
 * Turns the Postgres errors a write can still hit after validation (a unique key
 * taken by a concurrent writer, a reference deleted meanwhile) into named errors.
 */
import { ConflictError, InvalidInputError } from '../../core/errors.js';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

/** Key in ConstraintFields naming the field to blame for a value-too-long error. */
export const VALUE_TOO_LONG = '22001';

/** constraint name → input field it guards. */
export type ConstraintFields = Record<string, string>;

export function translatePgError(err: unknown, fields: ConstraintFields = {}): unknown {
  const e = err as PgError;
  if (e?.code === '23505') {
    const field = (e.constraint && fields[e.constraint]) || undefined;
    return new ConflictError(`already exists${e.detail ? `: ${e.detail}` : ''}`, field);
  }
  if (e?.code === '23503') {
    const field = (e.constraint && fields[e.constraint]) || '(input)';
    return new InvalidInputError(field, `refers to a row that does not exist${e.detail ? ` (${e.detail})` : ''}`);
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
