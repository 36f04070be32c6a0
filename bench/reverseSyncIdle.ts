/**
 * Benchmark: what an idle reverse-sync worker costs per poll, the way it
 * polled before (every step a locked transaction and a prune mutation in
 * Convex) against now (after a page that caught up, a peek at the cursor and
 * the log, no transaction, no prune when nothing was committed). Both in the
 * same run, alternating one-second blocks, on PGlite (in-process, one
 * connection) and on the real server. Convex is the EMBEDDED target
 * (convex-test, in-process): a poll's Convex queries cost CPU in this process.
 *
 *   npm run bench:reverse-sync-idle -- [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { createAppSchema } from '../examples/story-site/src/app/schema.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../src/core/toolSchema.js';
import { EmbeddedConvexTarget } from '../src/convex/embeddedTarget.js';
import { silentLogger } from '../src/log.js';
import { createPool } from '../src/postgres/database.js';
import { startEmbeddedPostgres } from '../src/postgres/embedded.js';
import { migrate } from '../src/postgres/migrate.js';
import { applyNextPage, pruneCommitted } from '../src/reverseSync/applyPage.js';
import { changeLogSource } from '../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../src/reverseSync/worker.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';
import { createBenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed } from './support/stats.js';
import type pg from 'pg';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const BLOCK_MS = 1000;

/** Polls for one block; returns ms per poll. */
async function pollFor(poll: () => Promise<unknown>): Promise<number> {
  let polls = 0;
  const start = performance.now();
  while (performance.now() - start < BLOCK_MS) {
    await poll();
    polls++;
  }
  return (performance.now() - start) / polls;
}

async function measure(label: string, pool: pg.Pool): Promise<void> {
  await createAppSchema(pool);
  await migrate(pool, TOOL);
  // An empty log after a cursor that has moved: what a worker sees between writes.
  await pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = 5`);
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  try {
    const options = { tool: TOOL, pool, source: changeLogSource(target), config: STORY_SITE_TABLES, log: silentLogger };
    const worker = new ReverseSyncWorker(options);
    await worker.step(); // prunes once, then idle
    const before: number[] = [];
    const now: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      before.push(
        await pollFor(async () => {
          const page = await applyNextPage(options, TOOL);
          await pruneCommitted(options.source, page.cursor);
        }),
      );
      now.push(await pollFor(() => worker.step()));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `${label}: idle poll, median of ${ROUNDS} one-second blocks: before ${fixed(median(before), 2)} ms, ` +
        `now ${fixed(median(now), 2)} ms (${fixed(median(before) / median(now), 1)}x less)`,
    );
  } finally {
    await target.close();
  }
}

const embedded = await startEmbeddedPostgres({ dataDir: 'memory://' });
const pglitePool = createPool(embedded.url, 4);
try {
  printMachine(await describeMachine(pglitePool));
  await measure('PGlite', pglitePool);
} finally {
  await pglitePool.end();
  await embedded.stop();
}
const server = await createBenchDatabase(4);
try {
  await measure('PostgreSQL', server.pool);
} finally {
  await server.drop();
}
