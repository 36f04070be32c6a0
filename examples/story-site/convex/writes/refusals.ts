/**
 * How a Convex write path refuses: a ConvexError whose data is
 * `{ code, field, message, entity?, key? }`. The codes are those of
 * src/core/errors.ts, so the app's server (src/app/writes/convexPaths.ts)
 * turns a refusal back into the very InvalidInputError / NotFoundError /
 * ConflictError the Postgres path throws for the same input. A refusal
 * throws, so Convex rolls the whole mutation back: nothing is written.
 */
import { ConvexError } from 'convex/values';

export type RefusalCode =
  'invalid_input' | 'not_found' | 'conflict' | 'unknown_user' | 'keys_exhausted';

export interface Refusal {
  code: RefusalCode;
  /** The input field to blame (a dotted path), or null when no field is at fault. */
  field: string | null;
  message: string;
  /** For not_found: the entity and key the Postgres path's NotFoundError names. */
  entity?: string;
  key?: string | number;
}

export function refuse(refusal: Refusal): never {
  throw new ConvexError({ ...refusal });
}

export function invalidInput(field: string, message: string): never {
  return refuse({ code: 'invalid_input', field, message });
}

export function notFound(entity: string, key: string | number, field: string): never {
  return refuse({
    code: 'not_found',
    field,
    message: `${entity} ${JSON.stringify(key)} not found`,
    entity,
    key,
  });
}

export function conflict(field: string): never {
  return refuse({ code: 'conflict', field, message: `${field} is already taken` });
}

/** Postgres refuses a value longer than its varchar column; checked here before anything is written. */
export function requireMaxLength(
  field: string,
  value: string | null | undefined,
  max: number,
): void {
  if (value !== null && value !== undefined && value.length > max)
    invalidInput(field, `must be at most ${max} characters`);
}
