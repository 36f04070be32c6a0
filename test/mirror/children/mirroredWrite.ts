/**
 * Child process for the crash test: runs one application write through the
 * mirror helper; the test arms the kill point between its Postgres commit and
 * the Convex call (TANDEM_KILL_AT=mirror.afterCommit:1), so it dies there.
 */
import { toggleApproval } from '../../../examples/story-site/src/app/writes/index.js';
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

const [databaseUrl, convexUrl] = process.argv.slice(2) as [string, string];
const pool = createPool(databaseUrl, 2);
const target = new HttpConvexTarget({ url: convexUrl, adminKey: 'unused', requestTimeoutMs: 600_000 });
// A short lease: the test need not wait 30 s for the dead process's claim to expire.
const relay = new Relay(
  { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics: createRelayMetrics(), log: silentLogger },
  { leaseMs: 2_000 },
);
const runner = new MirrorRunner(pool, relay, createRelayMetrics(), silentLogger, { tool: DEFAULT_TOOL_SCHEMA, waitMs: 600_000 });
await toggleApproval(
  { pool, runner, users: new StaticUserDirectory(new Map([[1, 'name-1']])) },
  { userId: 1, role: 'editor' },
  { story_id: 1 },
);
process.stdout.write('returned\n');
