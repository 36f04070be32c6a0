/**
 * Child process of the kill-point test: runs application writes through the
 * mirror helper (fast path on, against the HTTP stand-in) and prints `ack
 * <json>` after each write returned to it, i.e. each write the application
 * acknowledged. The parent arms a kill point (TANDEM_KILL_AT), so the process
 * usually dies somewhere inside one of these writes.
 */
import { recordStoryDone, saveStory, toggleApproval } from '../../../examples/story-site/src/app/writes/index.js';
import { StaticUserDirectory } from '../../../examples/story-site/src/app/userDirectory.js';
import { HttpConvexTarget } from '../../../src/convex/httpTarget.js';
import { silentLogger } from '../../../src/log.js';
import { createPool } from '../../../src/postgres/database.js';
import { mirrorMapper } from '../../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../../src/relay/metrics.js';
import { MirrorRunner } from '../../../src/relay/mirrorRunner.js';
import { Relay } from '../../../src/relay/relay.js';
import { STORY_SITE_TABLES } from '../../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../../src/core/toolSchema.js';

const [databaseUrl, convexUrl, adminKey, run, writes] = process.argv.slice(2) as [string, string, string, string, string];
const pool = createPool(databaseUrl, 2);
const target = new HttpConvexTarget({ url: convexUrl, adminKey, requestTimeoutMs: 10_000 });
// A short lease, so the parent's relay need not wait long for a dead process's claim.
const relay = new Relay(
  { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics: createRelayMetrics(), log: silentLogger },
  { leaseMs: 1_000 },
);
const runner = new MirrorRunner(pool, relay, createRelayMetrics(), silentLogger, { tool: DEFAULT_TOOL_SCHEMA, waitMs: 10_000 });
const deps = { pool, runner, users: new StaticUserDirectory(new Map([[1, 'name-1'], [2, 'name-2'], [3, 'name-3']])) };
const editor = (userId: number) => ({ userId, role: 'editor' as const });

for (let i = 0; i < Number(writes); i++) {
  const storyId = (i % 5) + 1;
  switch (i % 3) {
    case 0: {
      const { id } = await recordStoryDone(deps, { userId: null, role: 'anonymous' }, { story_id: storyId });
      process.stdout.write(`ack ${JSON.stringify({ kind: 'story_done', id })}\n`);
      break;
    }
    case 1: {
      const outcome = await toggleApproval(deps, editor((i % 3) + 1), { story_id: storyId });
      process.stdout.write(`ack ${JSON.stringify({ kind: 'approval', storyId, outcome })}\n`);
      break;
    }
    default: {
      const name = `run ${run} write ${i}`;
      const { rows } = await pool.query('SELECT course_id, set_id, set_index FROM story WHERE id = $1', [storyId]);
      await saveStory(deps, editor(1), { id: storyId, name, ...rows[0] });
      process.stdout.write(`ack ${JSON.stringify({ kind: 'rename', storyId, name })}\n`);
    }
  }
}
await pool.end();
