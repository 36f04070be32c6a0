/**
 * A Convex folder's functions executed in-process by convex-test, the Convex
 * team's test runtime: this project's convex/ by default, or any app's folder
 * (`convexDir`), bundled and loaded at run time (loadConvexDir.ts), so it runs
 * in plain Node as well as under vitest. The folder is loaded on the first
 * call; state lives in memory for the target's lifetime.
 *
 * Index lookups cost O(log n + k) (the indexed store, indexedStore/), and
 * Convex's document limits are enforced on every write. Caveats (convex-test's):
 * no write conflicts; per-function limits enforced only with
 * `transactionLimits` (on by default here).
 */
import type {
  FunctionReference,
  GenericDataModel,
  GenericMutationCtx,
  OptionalRestArgs,
} from 'convex/server';
import { createConvexBackend, type ConvexBackend } from './convexBackend.js';
import { FunctionTarget } from './functionTarget.js';

export interface EmbeddedConvexTargetOptions {
  /** Enforce Convex's per-transaction limits (bytes and documents read/written, index ranges). Default true. */
  transactionLimits?: boolean;
  /** The app's Convex functions folder to run. */
  convexDir: string;
  /** Real indexes, O(log n + k) lookups (default true); false is plain convex-test, for comparisons. */
  indexes?: boolean;
}

export type EmbeddedCtx = GenericMutationCtx<GenericDataModel>;

export class EmbeddedConvexTarget extends FunctionTarget {
  readonly kind = 'embedded' as const;
  private readonly backend: Promise<ConvexBackend>;

  constructor(options: EmbeddedConvexTargetOptions) {
    super();
    this.backend = createConvexBackend(options);
    // A folder that fails to load fails every call; that is where it is reported.
    this.backend.catch(() => undefined);
  }

  protected async runQuery<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    const backend = await this.backend;
    return backend.query(ref, ...([args] as OptionalRestArgs<typeof ref>));
  }

  protected async runMutation<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'mutation', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    const backend = await this.backend;
    return backend.mutation(ref, ...([args] as OptionalRestArgs<typeof ref>));
  }

  /** Runs a function against the in-memory database in one transaction (for tests and inspection). */
  async run<T>(fn: (ctx: EmbeddedCtx) => Promise<T>): Promise<T> {
    const backend = await this.backend;
    return backend.run((ctx) => fn(ctx as unknown as EmbeddedCtx));
  }

  /** Every document of a Convex table, system fields included. */
  async documents(table: string): Promise<Array<Record<string, unknown>>> {
    return this.run((ctx) => ctx.db.query(table).collect());
  }

  async close(): Promise<void> {}
}
