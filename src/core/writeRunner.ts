import type pg from 'pg';

/**
 * How an application runs one write: a single Postgres transaction named by
 * its write path (e.g. `save-story`) for logs and, with the mirror helper, the
 * operation key. The application's data layer depends on this port; Tandem's
 * mirror helper (MirrorRunner) is one implementation.
 */
export interface WriteRunner {
  run<T>(operation: string, work: (tx: pg.PoolClient) => Promise<T>): Promise<T>;
}
