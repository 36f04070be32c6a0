/** Runs a Convex folder's functions by path (`module:function`) with convex-test, limits on. */
import { makeFunctionReference } from 'convex/server';
import { createConvexBackend, type ConvexBackend } from '../convex/convexBackend.js';
import type { Logger } from '../log.js';
import { FUNCTION_RUN_TIME_WARNING_MS } from '../mapping/convexLimits.js';

export type FunctionKind = 'query' | 'mutation' | 'action';

export interface FunctionExecutor {
  /** The convex-test backend the functions run in (persistence reads and loads its documents). */
  backend: ConvexBackend;
  call(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown>;
}

export interface ExecutorOptions {
  /** Where a query or mutation that ran past Convex's ~1 s of function time is reported (a warning, not an error). */
  logger?: Pick<Logger, 'warn'>;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
}

/** Loads `convexDir` before resolving, so a bad folder fails at start. */
export async function createConvexExecutor(
  convexDir: string,
  options: ExecutorOptions = {},
): Promise<FunctionExecutor> {
  const backend = await createConvexBackend({ convexDir, transactionLimits: true });
  const now = options.now ?? (() => performance.now());
  function run(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown> {
    if (kind === 'query') return backend.query(makeFunctionReference<'query'>(path), args);
    if (kind === 'mutation') return backend.mutation(makeFunctionReference<'mutation'>(path), args);
    return backend.action(makeFunctionReference<'action'>(path), args);
  }
  return {
    backend,
    async call(kind, path, args) {
      const start = now();
      try {
        return await run(kind, path, args);
      } finally {
        const ms = now() - start;
        // Actions may run for minutes on Convex; queries and mutations get about a second.
        if (kind !== 'action' && ms > FUNCTION_RUN_TIME_WARNING_MS) {
          options.logger?.warn(
            { kind, path, ms: Math.round(ms), limitMs: FUNCTION_RUN_TIME_WARNING_MS },
            `${kind} ${path} ran ${Math.round(ms)} ms, over Convex's ${FUNCTION_RUN_TIME_WARNING_MS} ms function time limit: a real deployment may refuse it`,
          );
        }
      }
    },
  };
}
