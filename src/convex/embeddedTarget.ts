/**
 * The project's own convex/ functions executed in-process by convex-test, the
 * Convex team's test runtime, handed an explicit module map so it runs in
 * plain Node (tsx) as well as under vitest. State lives in memory for the
 * target's lifetime.
 *
 * Caveats (convex-test's, stated in DESIGN.md): no write conflicts, index
 * lookups scan whole tables (slow past a few thousand rows), limits enforced
 * only with `transactionLimits` (on by default here).
 */
import { convexTest, type TestConvex } from 'convex-test';
import type { GenericMutationCtx, GenericDataModel } from 'convex/server';
import schema from '../../convex/schema.js';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import { convexModules } from './convexModules.js';
import { applyBatchRef, exportArgs, exportPageRef, parityReaderOver } from './functionRefs.js';
import type { OptionalRestArgs } from 'convex/server';
import type { ConvexTarget, ExportOptions, ExportPage, ParityReader } from './target.js';

export interface EmbeddedConvexTargetOptions {
  /** Enforce Convex's per-transaction limits (bytes and documents read/written, index ranges). Default true. */
  transactionLimits?: boolean;
}

type TestBackend = TestConvex<typeof schema>;
export type EmbeddedCtx = GenericMutationCtx<GenericDataModel>;

export class EmbeddedConvexTarget implements ConvexTarget, ParityReader {
  readonly kind = 'embedded' as const;
  private readonly backend: TestBackend;
  private readonly parity: ParityReader;

  constructor(options: EmbeddedConvexTargetOptions = {}) {
    this.backend = convexTest({
      schema,
      modules: convexModules,
      transactionLimits: options.transactionLimits ?? true,
    });
    this.parity = parityReaderOver((ref, args) => this.backend.query(ref, ...([args] as OptionalRestArgs<typeof ref>)));
  }

  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    return this.backend.mutation(applyBatchRef, { transactions });
  }

  async exportPage(
    table: string,
    cursor: string | null,
    numItems: number,
    options: ExportOptions = {},
  ): Promise<ExportPage> {
    return this.backend.query(exportPageRef, exportArgs(table, cursor, numItems, options.maxBytes));
  }

  rangeDigest(...args: Parameters<ParityReader['rangeDigest']>) {
    return this.parity.rangeDigest(...args);
  }

  rangeRowHashes(...args: Parameters<ParityReader['rangeRowHashes']>) {
    return this.parity.rangeRowHashes(...args);
  }

  rowsByKeys(...args: Parameters<ParityReader['rowsByKeys']>) {
    return this.parity.rowsByKeys(...args);
  }

  countRows(...args: Parameters<ParityReader['countRows']>) {
    return this.parity.countRows(...args);
  }

  invariantPage(...args: Parameters<ParityReader['invariantPage']>) {
    return this.parity.invariantPage(...args);
  }

  /** Runs a function against the in-memory database in one transaction (for tests and inspection). */
  async run<T>(fn: (ctx: EmbeddedCtx) => Promise<T>): Promise<T> {
    return this.backend.run((ctx) => fn(ctx as unknown as EmbeddedCtx));
  }

  /** Every document of a Convex table, system fields included. */
  async documents(table: string): Promise<Array<Record<string, unknown>>> {
    return this.run((ctx) => ctx.db.query(table).collect());
  }

  async close(): Promise<void> {}
}
