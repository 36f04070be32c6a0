/**
 * The Convex side of a routed write: a handler that runs one of the
 * application's Convex mutations through a target (the http and embedded
 * ConvexTargets both answer `mutation(path, args)`). The same handlers bound
 * to a scratch target are the router's shadow handlers.
 */
import type { WriteHandler } from './router.js';

/** What a Convex write needs from a target: run a mutation by path (`module:function`). */
export interface ConvexMutations {
  mutation(path: string, args: Record<string, unknown>): Promise<unknown>;
}

/**
 * A write handler calling `path` with the arguments `toArgs` builds from the
 * write's own arguments (default: the first argument as is), its result passed
 * through `fromResult`.
 */
export function convexWrite<A extends unknown[], R>(
  target: ConvexMutations,
  path: string,
  toArgs: (...args: A) => Record<string, unknown> = (...args) =>
    (args[0] ?? {}) as Record<string, unknown>,
  fromResult: (value: unknown) => R = (value) => value as R,
): (...args: A) => Promise<R> {
  const handler: WriteHandler = async (...args: A) =>
    fromResult(await target.mutation(path, toArgs(...args)));
  return handler as (...args: A) => Promise<R>;
}
