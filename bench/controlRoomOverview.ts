/**
 * What GET /api/control/overview costs on real PostgreSQL: five tables, one
 * of them with `--rows` rows (default 10,000; the contract's figure is
 * 100,000), an outbox holding as many changes applied in the last five
 * minutes plus a backlog of pending ones, and a parity history. Reports the
 * cold build (checklist, streaks and row counts recomputed) and the warm one
 * (those reused, as between two SSE checks), median and p95 over `--runs`.
 *
 *   npx tsx bench/controlRoomOverview.ts [--rows 100000] [--runs 20]
 */
import { parseArgs } from 'node:util';
import { installCapture } from '../src/capture/index.js';
import { parseProjectConfig } from '../src/config/projectConfig.js';
import { ControlRoom } from '../src/controlRoom/controlRoom.js';
import { discoverMirror } from '../src/discovery/discoverMirror.js';
import { silentLogger } from '../src/log.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '10000' }, runs: { type: 'string', default: '20' } },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

await withBenchDatabases(1, 4, async ([db]) => {
  const pool = db!.pool;
  printMachine(await describeMachine(pool));
  await pool.query(`
    CREATE TABLE account (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE product (sku text PRIMARY KEY, price numeric NOT NULL);
    CREATE TABLE shop (id int PRIMARY KEY, city text);
    CREATE TABLE stock (shop_id int REFERENCES shop, sku text REFERENCES product, qty int, PRIMARY KEY (shop_id, sku));
    CREATE TABLE sale (id bigint PRIMARY KEY, account_id int REFERENCES account, sku text, at timestamptz NOT NULL);`);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  const { mirror } = await discoverMirror(pool, parseProjectConfig({}, null));
  await installCapture(pool, { tool: DEFAULT_TOOL_SCHEMA, mirror, tables: mirror.tables.map((t) => t.name) });
  await pool.query(`INSERT INTO account SELECT n, 'a' || n FROM generate_series(1, 100) n`);
  await pool.query(`INSERT INTO product SELECT 'p' || n, n FROM generate_series(1, 100) n`);
  await pool.query(
    `INSERT INTO sale SELECT n, 1 + n % 100, 'p' || (1 + n % 100), now() FROM generate_series(1, $1::int) n`,
    [ROWS],
  );
  // Everything captured so far was applied within the last five minutes, a little of it after retries.
  await pool.query(
    `UPDATE tandem.outbox SET status = 'done', captured_at = now() - interval '4 minutes' + seq % 1000 * interval '200 ms',
            processed_at = now() - interval '4 minutes' + seq % 1000 * interval '200 ms' + random() * interval '250 ms',
            attempts = CASE WHEN seq % 50 = 0 THEN 1 ELSE 0 END`,
  );
  await pool.query(
    `INSERT INTO sale SELECT n, 1, 'p1', now() FROM generate_series($1::int + 1, $1::int + 500) n`,
    [ROWS],
  );
  await pool.query(
    `INSERT INTO tandem.parity_run (batch_id, kind, table_name, mode, started_at, finished_at, pg_rows, convex_rows, clean)
     SELECT 'b' || d, 'parity', t, 'full', now() - d * interval '1 day', now() - d * interval '1 day', $1, $1, true
       FROM generate_series(0, 29) d, unnest(ARRAY['account', 'product', 'shop', 'stock', 'sale']) t`,
    [ROWS],
  );
  await pool.query('ANALYZE');
  const room = new ControlRoom({ tool: DEFAULT_TOOL_SCHEMA, pool, mirror, log: silentLogger, slowRefreshMs: 60_000 });
  const time = async (work: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    room.overviews.invalidate();
    cold.push(await time(() => room.overview()));
    warm.push(await time(() => room.overview()));
  }
  const sale = (await room.overview()).tables.find((t) => t.table === 'sale')!;
  cold.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  console.log(
    `sale: ${ROWS} rows (${sale.rows.postgresEstimated ? 'estimated' : 'exact'} ${sale.rows.postgres}), outbox ${sale.outboxPending} pending, success ${sale.successRate?.toFixed(3)}, p99 ${sale.applyLatencyMs?.p99.toFixed(0)} ms`,
  );
  console.log(
    `overview cold (checklist, streaks, counts): median ${quantile(cold, 0.5).toFixed(1)} ms, p95 ${quantile(cold, 0.95).toFixed(1)} ms`,
  );
  console.log(
    `overview warm (as between SSE checks):    median ${quantile(warm, 0.5).toFixed(1)} ms, p95 ${quantile(warm, 0.95).toFixed(1)} ms`,
  );
  await room.stop();
});
