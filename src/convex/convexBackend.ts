/**
 * A convex-test backend (the Convex team's test runtime) running the
 * functions of any Convex folder, loaded at run time by loadConvexDir, with
 * real indexes (indexedStore/): lookups cost O(log n + k) instead of a scan
 * of every document. Shared by the embedded target and the local stand-in.
 */
import { convexTest, type TestConvex } from 'convex-test';
import type { GenericSchema, SchemaDefinition } from 'convex/server';
import { CONVEX_TRANSACTION_LIMITS } from '../mapping/convexLimits.js';
import { attachIndexedStore } from './indexedStore/index.js';
import { loadConvexDir } from './loadConvexDir.js';

export type ConvexBackend = TestConvex<SchemaDefinition<GenericSchema, boolean>>;

export interface ConvexBackendOptions {
  /** The app's Convex functions folder to run. */
  convexDir: string;
  /** Enforce Convex's per-transaction limits. Default true. */
  transactionLimits?: boolean;
  /** Real indexes (indexedStore/). Default true; false gives plain convex-test, whose lookups scan every document (for comparisons). */
  indexes?: boolean;
}

export async function createConvexBackend(
  options: ConvexBackendOptions,
): Promise<ConvexBackend> {
  const { schema, modules } = await loadConvexDir(options.convexDir);
  const limitsOn = options.transactionLimits ?? true;
  const backend = convexTest({
    schema,
    modules,
    transactionLimits: limitsOn ? { ...CONVEX_TRANSACTION_LIMITS } : false,
  });
  if (options.indexes ?? true) attachIndexedStore(backend, schema);
  return backend;
}
