/**
 * One database per describe block. resetBackfill() brings it back to the app
 * fixture plus `storyDone` story_done rows, all written *before* capture is
 * installed (so they have no outbox events: row version 0), then installs
 * capture with an empty outbox and no backfill records, as a team would find
 * it on the day it starts the backfill.
 */
import type pg from 'pg';
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { installCapture, uninstallCapture } from '../../src/capture/index.js';
import type { ApplyResult, TransactionBatch } from '../../src/core/changes.js';
import type { ConvexTarget } from '../../src/convex/target.js';
import { migrate } from '../../src/postgres/migrate.js';
import { seedFixture } from '../support/appFixture.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export async function prepareBackfillDatabase(pool: pg.Pool): Promise<void> {
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
}

export async function resetBackfill(pool: pg.Pool, storyDone = 60): Promise<void> {
  await uninstallCapture(pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' });
  await seedFixture(pool);
  await pool.query(
    `INSERT INTO story_done (user_id, story_id, time)
     SELECT (g % 9) + 1, (g % 5) + 1, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
       FROM generate_series(1, $1::int) g`,
    [storyDone],
  );
  await pool.query(`
    TRUNCATE tandem.outbox, tandem.untracked_write, tandem.captured_table, tandem.audit_log,
             tandem.dead_letter, tandem.backfill_state, tandem.backfill_rejected RESTART IDENTITY`);
  await installCapture(pool, { ...storySiteCapture() });
}

/** Keys of story_done rows Convex acknowledged, in the order they were sent. */
export function sentKeys(batches: TransactionBatch[][], table = 'story_done'): string[] {
  return batches.flatMap((call) => call.flatMap((tx) => tx.changes.filter((c) => c.table === table).map((c) => c.key)));
}

/**
 * Passes calls to `inner`, running `before` and `after` hooks around each one
 * (to interleave live writes deterministically) and recording what was sent.
 */
export class HookedTarget implements ConvexTarget {
  readonly kind = 'recording' as const;
  readonly sent: TransactionBatch[][] = [];
  readonly results: ApplyResult[] = [];
  constructor(
    private readonly inner: ConvexTarget,
    private readonly hooks: {
      before?: (call: TransactionBatch[], index: number) => Promise<void>;
      after?: (call: TransactionBatch[], index: number) => Promise<void>;
    } = {},
  ) {}
  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    const index = this.sent.length;
    this.sent.push(transactions);
    await this.hooks.before?.(transactions, index);
    const result = await this.inner.applyBatch(transactions);
    this.results.push(result);
    await this.hooks.after?.(transactions, index);
    return result;
  }
  exportPage(...args: Parameters<ConvexTarget['exportPage']>) {
    return this.inner.exportPage(...args);
  }
}
