/**
 * A query or mutation that runs past Convex's ~1 s of function time is
 * reported as a warning naming the function (not an error: the stand-in is
 * slower than Convex, so its timings are only a hint). The clock is
 * injected, so the test does not depend on how loaded the machine is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConvexExecutor } from '../../src/convexLocal/executor.js';

const SCHEMA = `import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
export default defineSchema({ marks: defineTable({ at: v.number() }) });
`;
const FUNCTIONS = `import { mutationGeneric, actionGeneric } from 'convex/server';
import { v } from 'convex/values';
export const mark = mutationGeneric({ args: { at: v.number() }, handler: async (ctx, args) => ctx.db.insert('marks', args) });
export const idle = actionGeneric({ args: {}, handler: async () => null });
`;

describe('function run time', () => {
  it('warns about a query or mutation that ran over 1 s, and about nothing else', async () => {
    const convexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-runtime-convex-'));
    fs.writeFileSync(path.join(convexDir, 'schema.ts'), SCHEMA);
    fs.writeFileSync(path.join(convexDir, 'marks.ts'), FUNCTIONS);
    const durations = [1_500, 400, 5_000];
    let clock = 0;
    let started = false;
    const now = () => {
      // Each call reads the clock twice: at start, then at the end, `duration` later.
      if (!started) {
        started = true;
        return clock;
      }
      started = false;
      clock += durations.shift()!;
      return clock;
    };
    const warnings: Array<{ fields: unknown; message: string }> = [];
    const logger = {
      warn: (fields: unknown, message: string) => warnings.push({ fields, message }),
    };
    const executor = await createConvexExecutor(convexDir, { logger: logger as never, now });

    await executor.call('mutation', 'marks:mark', { at: 1 });
    await executor.call('mutation', 'marks:mark', { at: 2 });
    await executor.call('action', 'marks:idle', {});

    expect(warnings).toEqual([
      {
        fields: { kind: 'mutation', path: 'marks:mark', ms: 1500, limitMs: 1000 },
        message:
          "mutation marks:mark ran 1500 ms, over Convex's 1000 ms function time limit: a real deployment may refuse it",
      },
    ]);
  });
});
