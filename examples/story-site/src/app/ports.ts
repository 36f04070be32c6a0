/**
 * The seams of the story site's data layer: who is acting, how a write runs
 * (a plain Postgres transaction now; the mirror helper later), and where user
 * display names come from (never SQL on the legacy `users` table).
 */
import type pg from 'pg';
import type { WriteRunner } from 'tandem';

/** Who is acting: the API's caller (a legacy integer user id, null for an anonymous reader). */
export { ANONYMOUS, type Actor } from 'tandem';

/** Runs one write path as one Postgres transaction (a Tandem port the mirror helper implements). */
export type { WriteRunner } from 'tandem';

export interface UserDirectory {
  /** Display names for the given legacy user ids; ids it does not know are absent. */
  names(userIds: readonly number[]): Promise<Map<number, string>>;
}

export interface AppDeps {
  pool: pg.Pool;
  runner: WriteRunner;
  users: UserDirectory;
}
