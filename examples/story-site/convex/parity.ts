/**
 * The story site's invariant queries (DOMAIN.md's six invariants), hand-written
 * app code next to the generated Tandem kit (convex/tandem.ts, convex/tandem/).
 * Internal: called with an admin/deploy key (HttpConvexTarget) or in-process
 * (convex-test) by the invariant runner as `parity:courseInvariants` and
 * `parity:storyInvariants`. Every query reads one bounded page; callers page on.
 */
import { v } from 'convex/values';
import { internalQuery } from './_generated/server.js';
import { courseInvariantPage, storyInvariantPage } from './checks/invariants.js';
import type { MirrorReader } from './tandem/types.js';

const cursor = v.union(v.string(), v.null());
const reader = (db: unknown) => db as MirrorReader;

const violations = v.object({
  violations: v.array(v.object({ invariant: v.number(), key: v.number(), detail: v.string() })),
  continueCursor: cursor,
});

/** Invariants 1, 2, 3, 6 over one page of courses. */
export const courseInvariants = internalQuery({
  args: { cursor, maxItems: v.number() },
  returns: violations,
  handler: async (ctx, args) => courseInvariantPage(reader(ctx.db), args.cursor, args.maxItems),
});

/** Invariants 4, 5 over one page of stories. */
export const storyInvariants = internalQuery({
  args: { cursor, maxItems: v.number() },
  returns: violations,
  handler: async (ctx, args) => storyInvariantPage(reader(ctx.db), args.cursor, args.maxItems),
});
