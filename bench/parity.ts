/**
 * Full parity of story_done at scale: real PostgreSQL with `--rows` rows
 * (default 1,000,000) against a TEST DOUBLE of the Convex side
 * (bench/parity/memoryCopyReader.ts: an in-memory copy of the row hashes that
 * answers range-hash queries after a modeled round trip, default 20 ms per
 * call). Two runs: a clean mirror, then with `--drift` keys (default 100)
 * changed, deleted and inserted in Postgres with capture bypassed. Prints
 * seconds, round trips and RSS (baseline after the double is built, peak
 * during the run).
 *
 *   npm run bench:parity -- [--rows 1000000] [--drift 100] [--latency-ms 20]
 */
import { parseArgs } from 'node:util';
import { requireTable } from '../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';
import { runParity } from '../src/parity/index.js';
import { pgRowsByKeys, streamRowsInKeyOrder } from '../src/parity/pgRows.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { MemoryCopyReader } from './parity/memoryCopyReader.js';
import { fillStoryDone } from './support/storyDoneFill.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    drift: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '20' },
  },
});
const ROWS = Number(values.rows);
const DRIFT = Number(values.drift);
const LATENCY = Number(values['latency-ms']);
const table = requireTable(STORY_SITE_TABLES, 'story_done');
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** The "Convex" copy: every row's hash as the mirror would hold it. */
async function buildCopy(db: BenchDatabase): Promise<MemoryCopyReader> {
  const copy = new MemoryCopyReader(LATENCY);
  for await (const batch of streamRowsInKeyOrder(db.pool, table, 5000)) for (const row of batch) copy.push(row.key, row.hash);
  return copy;
}

/** DRIFT keys spread over the table: 60 % changed, 20 % deleted, 20 % inserted, capture bypassed. */
async function makeDrift(db: BenchDatabase, copy: MemoryCopyReader): Promise<number> {
  const step = Math.floor(ROWS / DRIFT);
  const ids = Array.from({ length: DRIFT }, (_, i) => 1 + i * step + (i % step));
  const [changed, deleted] = [ids.slice(0, Math.round(DRIFT * 0.6)), ids.slice(Math.round(DRIFT * 0.6), Math.round(DRIFT * 0.8))];
  const inserted = Array.from({ length: DRIFT - changed.length - deleted.length }, (_, i) => ROWS + 1 + i);
  for (const [key, row] of await pgRowsByKeys(db.pool, table, changed.map(String))) copy.columnsByKey.set(key, row.columns);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('UPDATE story_done SET story_id = story_id % 500 + 1 WHERE id = ANY($1::int[])', [changed]);
    await client.query('DELETE FROM story_done WHERE id = ANY($1::int[])', [deleted]);
    await client.query(`INSERT INTO story_done (id, user_id, story_id, time) SELECT g, 1, 1, now() FROM unnest($1::int[]) g`, [inserted]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return changed.length + deleted.length + inserted.length;
}

async function measure(label: string, db: BenchDatabase, copy: MemoryCopyReader): Promise<void> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  copy.calls = 0;
  const started = process.hrtime.bigint();
  const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, copy, { config: STORY_SITE_TABLES, tables: ['story_done'], mode: 'full', pendingWaitMs: 0 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const t = report.tables.story_done!;
  console.log(
    `${label}: ${seconds.toFixed(2)} s, ${copy.calls} round trips, pg ${t.pgRows} rows, ` +
      `found missing ${t.missing.length} / extra ${t.extra.length} / different ${t.different.length}, clean ${t.clean}; ` +
      `RSS baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB (+${mib(peak - baseline)} MiB)`,
  );
}

await withBenchDatabases(1, 4, async ([db]) => {
  printMachine(await describeMachine(db!.pool));
  console.log(`story_done rows: ${ROWS}; modeled Convex round trip: ${LATENCY} ms per call (in-memory test double, not Convex)`);
  let t0 = Date.now();
  await fillStoryDone(db!, ROWS);
  console.log(`filled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  const copy = await buildCopy(db!);
  console.log(`double built (${copy.size} row hashes) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await measure('clean', db!, copy);
  const drifted = await makeDrift(db!, copy);
  await measure(`${drifted} drifted keys`, db!, copy);
});
