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
import { convexModules } from './convexModules.js';
import { FunctionTarget } from './functionTarget.js';
import type { FunctionReference, OptionalRestArgs } from 'convex/server';

export interface EmbeddedConvexTargetOptions {
  /** Enforce Convex's per-transaction limits (bytes and documents read/written, index ranges). Default true. */
  transactionLimits?: boolean;
}

type TestBackend = TestConvex<typeof schema>;
export type EmbeddedCtx = GenericMutationCtx<GenericDataModel>;

export class EmbeddedConvexTarget extends FunctionTarget {
  readonly kind = 'embedded' as const;
  private readonly backend: TestBackend;

  constructor(options: EmbeddedConvexTargetOptions = {}) {
    super();
    this.backend = convexTest({
      schema,
      modules: convexModules,
      transactionLimits: options.transactionLimits ?? true,
    });
  }

  protected runQuery<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.backend.query(ref, ...([args] as OptionalRestArgs<typeof ref>));
  }

  protected runMutation<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'mutation', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.backend.mutation(ref, ...([args] as OptionalRestArgs<typeof ref>));
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
