// convex/tandem.ts in the application
import { v } from 'convex/values';
import { internalMutation } from '../convex/_generated/server.js';
import { applyTransactions } from '../src/convexSide.js';

export const applyBatch = internalMutation({
  args: { transactions: v.array(v.any()) },
  handler: (ctx, { transactions }) => applyTransactions(ctx.db, transactions),
});
