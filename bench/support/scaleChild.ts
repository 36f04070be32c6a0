/**
 * One process of bench/processScaling.ts: a relay (drains the outbox with
 * --workers workers) or a backfill (every table), into a counting target after
 * a modeled round trip. Prints `ready` once loaded, starts on a line on stdin
 * (so sibling processes start together), and prints `done <json>` with what
 * it handled.
 *
 *   tsx bench/support/scaleChild.ts relay|backfill <database url> <latency ms> <relay workers>
 */
import { backfill } from '../../src/backfill/index.js';
import { silentLogger } from '../../src/log.js';
import { createPool } from '../../src/postgres/database.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { STORY_SITE_TABLES } from '../../test/support/storySiteMirror.js';
import { CountingTarget } from './countingTarget.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const [role, url, latency, workers] = process.argv.slice(2) as [string, string, string, string];
const pool = createPool(url, Number(workers) * 2 + 2);
const target = new CountingTarget(Number(latency));
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
if (role === 'relay') {
  const relay = new Relay(
    { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics: createRelayMetrics(), log: silentLogger },
    { workers: Number(workers) },
  );
  const summary = await relay.drain();
  process.stdout.write(`done ${JSON.stringify({ events: summary.applied, calls: target.calls })}\n`);
} else {
  const result = await backfill(pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, log: silentLogger });
  const copied = result.tables.filter((t) => t.outcome === 'done');
  process.stdout.write(`done ${JSON.stringify({ rows: target.events, tables: copied.map((t) => t.table) })}\n`);
}
await pool.end();
