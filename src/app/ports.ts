/**
 * The seams of the story site's data layer: who is acting, how a write runs
 * (a plain Postgres transaction now; the mirror helper later), and where user
 * display names come from (never SQL on the legacy `users` table).
 */
import type pg from 'pg';
import type { Role } from '../config.js';
import type { WriteRunner } from '../core/writeRunner.js';

export interface Actor {
  /** Legacy integer user id; null for an anonymous reader. */
  userId: number | null;
  role: Role | 'anonymous';
}

export const ANONYMOUS: Actor = { userId: null, role: 'anonymous' };

/** Runs one write path as one Postgres transaction (a Tandem port the mirror helper implements). */
export type { WriteRunner } from '../core/writeRunner.js';

export interface UserDirectory {
  /** Display names for the given legacy user ids; ids it does not know are absent. */
  names(userIds: readonly number[]): Promise<Map<number, string>>;
}

export interface AppDeps {
  pool: pg.Pool;
  runner: WriteRunner;
  users: UserDirectory;
}
