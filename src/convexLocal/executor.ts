/** Runs the project's convex/ functions by path (`module:function`) with convex-test, limits on. */
import { convexTest } from 'convex-test';
import { makeFunctionReference } from 'convex/server';
import schema from '../../convex/schema.js';
import { convexModules } from '../convex/convexModules.js';

export type FunctionKind = 'query' | 'mutation' | 'action';

export interface FunctionExecutor {
  call(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown>;
}

export function createConvexExecutor(): FunctionExecutor {
  const backend = convexTest({ schema, modules: convexModules, transactionLimits: true });
  return {
    call(kind, path, args) {
      if (kind === 'query') return backend.query(makeFunctionReference<'query'>(path), args);
      if (kind === 'mutation') return backend.mutation(makeFunctionReference<'mutation'>(path), args);
      return backend.action(makeFunctionReference<'action'>(path), args);
    },
  };
}
