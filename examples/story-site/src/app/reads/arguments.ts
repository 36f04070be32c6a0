/**
 * Argument checks shared by every ReadPaths implementation, so Postgres and
 * Convex refuse the same bad arguments with the same field names.
 */
import { InvalidInputError } from 'tandem';

const INT4_MAX = 2_147_483_647;

/** A positive int4 id (serial keys). */
export function requireId(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > INT4_MAX) {
    throw new InvalidInputError(field, `must be a positive integer up to ${INT4_MAX}`);
  }
  return value;
}

/** A non-empty string key of at most `max` characters (course short, image id). */
export function requireKey(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidInputError(field, `must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

export interface MonthRange {
  /** Inclusive start, ISO-8601 UTC. */
  from: string;
  /** Exclusive end: the first instant of the next month. */
  to: string;
}

/** The UTC boundaries of a calendar month, after checking year and month. */
export function monthRange(year: unknown, month: unknown): MonthRange {
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 1970 || year > 9999) {
    throw new InvalidInputError('year', 'must be an integer from 1970 to 9999');
  }
  if (typeof month !== 'number' || !Number.isInteger(month) || month < 1 || month > 12) {
    throw new InvalidInputError('month', 'must be an integer from 1 to 12');
  }
  // Date.UTC rolls month 12 over into January of the next year.
  return {
    from: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
    to: new Date(Date.UTC(year, month, 1)).toISOString(),
  };
}

/** Timestamps leave the read paths as ISO-8601 strings in UTC. */
export function isoOrNull(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
