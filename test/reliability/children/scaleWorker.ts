/**
 * Child process of the many-processes test: a relay (`relay`, drains the
 * outbox with two workers) or a backfill (`backfill`, every table) against the
 * HTTP stand-in, coordinated with its siblings only through Postgres. After
 * each call Convex acknowledged it prints one `sent <json>` line per change
 * the call carried (table, key, version), so the parent can count how many
 * times each change reached Convex over all processes.
 */
import { backfill } from '../../../src/backfill/index.js';
import type { ApplyResult, TransactionBatch } from '../../../src/core/changes.js';
import { HttpConvexTarget } from '../../../src/convex/httpTarget.js';
import { silentLogger } from '../../../src/log.js';
import { createPool } from '../../../src/postgres/database.js';
import { mirrorMapper } from '../../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../../src/relay/metrics.js';
import { Relay } from '../../../src/relay/relay.js';
import { STORY_SITE_TABLES } from '../../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../../src/core/toolSchema.js';

const [role, databaseUrl, convexUrl, adminKey] = process.argv.slice(2) as [string, string, string, string];
const pool = createPool(databaseUrl, 4);
const http = new HttpConvexTarget({ url: convexUrl, adminKey, requestTimeoutMs: 30_000 });
const target = {
  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    const result = await http.applyBatch(transactions);
    const lines = transactions.flatMap((t) =>
      t.changes.map((c) => `sent ${JSON.stringify({ table: c.table, key: c.key, version: c.version })}\n`),
    );
    process.stdout.write(lines.join(''));
    return result;
  },
};

// Ready once loaded; every sibling starts together on the parent's `go`.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();

if (role === 'relay') {
  const relay = new Relay(
    { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics: createRelayMetrics(), log: silentLogger },
    // Small claims, so the three processes interleave many rounds.
    { workers: 2, claimEvents: 40, idleMs: 20, leaseMs: 30_000 },
  );
  const summary = await relay.drain();
  process.stdout.write(`summary ${JSON.stringify(summary)}\n`);
} else if (role === 'backfill') {
  const result = await backfill(pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, batchRows: 25, log: silentLogger });
  process.stdout.write(`summary ${JSON.stringify(result.tables.map((t) => ({ table: t.table, outcome: t.outcome, copied: t.copied })))}\n`);
} else {
  throw new Error(`unknown role ${role}`);
}
await pool.end();
