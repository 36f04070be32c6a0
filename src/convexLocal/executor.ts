/** Runs a Convex folder's functions by path (`module:function`) with convex-test, limits on. */
import { makeFunctionReference } from 'convex/server';
import { createConvexBackend, type ConvexBackend } from '../convex/convexBackend.js';

export type FunctionKind = 'query' | 'mutation' | 'action';

export interface FunctionExecutor {
  /** The convex-test backend the functions run in (persistence reads and loads its documents). */
  backend: ConvexBackend;
  call(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown>;
}

/** Loads `convexDir` (default: this project's convex/) before resolving, so a bad folder fails at start. */
export async function createConvexExecutor(convexDir?: string): Promise<FunctionExecutor> {
  const backend = await createConvexBackend({ convexDir, transactionLimits: true });
  return {
    backend,
    call(kind, path, args) {
      if (kind === 'query') return backend.query(makeFunctionReference<'query'>(path), args);
      if (kind === 'mutation')
        return backend.mutation(makeFunctionReference<'mutation'>(path), args);
      return backend.action(makeFunctionReference<'action'>(path), args);
    },
  };
}
