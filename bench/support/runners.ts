/**
 * The write runners the capture benchmark compares. None of them calls Convex:
 * the mirror helper's fast path (apply within a bounded wait) is a separate
 * cost, paid after commit, and not measured here.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { WriteRunner } from '../../examples/story-site/src/app/ports.js';
import { TransactionRunner } from '../../examples/story-site/src/app/transactionRunner.js';
import { operationKeySettings } from '../../src/capture/index.js';
import { silentLogger } from '../../src/log.js';
import { withRetriedTransaction } from '../../src/postgres/database.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { MirrorRunner } from '../../src/relay/mirrorRunner.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

/** Capture on, as the mirror helper tags writes: the operation key set in the write's own transaction. */
export class OperationKeyRunner implements WriteRunner {
  constructor(private readonly pool: pg.Pool) {}

  run<T>(operation: string, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    const key = `${operation}:${crypto.randomUUID()}`;
    return withRetriedTransaction(this.pool, work, operationKeySettings(key));
  }
}

export type VariantName = 'off' | 'off+key' | 'floor' | 'on' | 'on+helper';

/** What the variant's database gets: nothing, the floor trigger (support/floorCapture.ts) or Tandem's capture. */
export type CaptureKind = 'none' | 'floor' | 'tandem';

export interface Variant {
  name: VariantName;
  capture: CaptureKind;
  describe: string;
  runner(pool: pg.Pool): WriteRunner;
}

export const VARIANTS: Variant[] = [
  {
    name: 'off',
    capture: 'none',
    describe: 'no capture trigger; plain TransactionRunner (what the app runs today)',
    runner: (pool) => new TransactionRunner(pool),
  },
  {
    name: 'off+key',
    capture: 'none',
    describe:
      'no capture trigger; runner sets the operation key (the extra statement alone, to separate it from the trigger)',
    runner: (pool) => new OperationKeyRunner(pool),
  },
  {
    name: 'floor',
    capture: 'floor',
    describe:
      'a minimal trigger appending to_jsonb(NEW) to a table with only a primary key (not a usable outbox: ' +
      'the cost of one more row per change); runner sets the operation key',
    runner: (pool) => new OperationKeyRunner(pool),
  },
  {
    name: 'on',
    capture: 'tandem',
    describe:
      'capture trigger installed; runner sets the operation key (SET LOCAL) in the same transaction; no Convex call',
    runner: (pool) => new OperationKeyRunner(pool),
  },
  {
    name: 'on+helper',
    capture: 'tandem',
    describe:
      'capture trigger installed; the real MirrorRunner with waitMs 0 (asynchronous mirroring): operation key, ' +
      'its post-write outbox look-up and log line; no Convex call',
    runner: (pool) =>
      new MirrorRunner(
        pool,
        { round: () => Promise.reject(new Error('the benchmark never calls Convex')) },
        createRelayMetrics(),
        silentLogger,
        { tool: DEFAULT_TOOL_SCHEMA, waitMs: 0 },
      ),
  },
];
