/**
 * The plain WriteRunner: each write path runs as one Postgres transaction and
 * nothing else (re-run when Postgres aborts it for a deadlock). The mirror
 * helper replaces it when Convex mirroring is on.
 */
import type pg from 'pg';
import { withRetriedTransaction } from 'tandem';
import type { WriteRunner } from './ports.js';

export class TransactionRunner implements WriteRunner {
  constructor(private readonly pool: pg.Pool) {}

  run<T>(_operation: string, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return withRetriedTransaction(this.pool, work);
  }
}
