/**
 * Mapped Convex values back to the JSON the Postgres reads return
 * (docs/value-mapping.md is the forward direction).
 */
import { decodeJsonValue } from 'tandem';

/**
 * A stored timestamp (ms since epoch, microseconds as the fraction) as the
 * Postgres read prints it: node-postgres builds a Date from the fields and drops
 * the sub-millisecond part, i.e. rounds down, also before 1970 (where `new Date`
 * alone would round toward zero).
 */
export function isoFromMillis(ms: number | null): string | null {
  return ms === null ? null : new Date(Math.floor(ms)).toISOString();
}

/** Story JSON as Postgres holds it: the mirror's object encoding undone. */
export function storyJson(stored: unknown): unknown {
  return stored === null || stored === undefined ? null : decodeJsonValue(stored);
}
