/**
 * Invariants are the application's, not the tool's: a suite names its
 * invariants and checks them in each store, and Tandem runs every suite the
 * project config lists, records the runs in the parity history and reports
 * violations the same way whatever the application.
 */
import type { ParityReader } from '../convex/target.js';
import { ConfigError } from '../core/errors.js';
import type { Queryable } from '../postgres/database.js';

export interface InvariantDefinition {
  /** Stable identifier, unique within the suite (a number or a short name). */
  invariant: number | string;
  name: string;
  /** The table whose row is reported as the violating one. */
  table: string;
  description: string;
}

export interface InvariantViolation {
  invariant: number | string;
  name: string;
  table: string;
  /** Key of the violating row. */
  key: number | string;
  /** Human-readable expected vs actual. */
  detail: string;
}

export interface InvariantSuite {
  name: string;
  invariants: readonly InvariantDefinition[];
  checkPostgres(db: Queryable): Promise<InvariantViolation[]>;
  /** Reads Convex through the target (its `query` runs the app's own Convex functions). */
  checkConvex(reader: ParityReader): Promise<InvariantViolation[]>;
}

/** Checks a value loaded from a module the config names is a suite; the error names the module. */
export function requireInvariantSuite(value: unknown, source: string): InvariantSuite {
  const suite = value as Partial<InvariantSuite> | null;
  const missing = (['name', 'invariants', 'checkPostgres', 'checkConvex'] as const).filter(
    (k) => suite?.[k] === undefined,
  );
  if (!suite || typeof suite !== 'object' || missing.length > 0)
    throw new ConfigError(
      source,
      `the default export is not an invariant suite (missing ${missing.join(', ') || 'everything'})`,
    );
  if (
    typeof suite.checkPostgres !== 'function' ||
    typeof suite.checkConvex !== 'function' ||
    !Array.isArray(suite.invariants)
  )
    throw new ConfigError(
      source,
      'an invariant suite has invariants (array), checkPostgres and checkConvex (functions)',
    );
  return suite as InvariantSuite;
}
