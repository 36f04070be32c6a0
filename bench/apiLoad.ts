/**
 * Benchmark: the story site's HTTP API under load (autocannon), with capture
 * off, on, and at its floor, in the same run: p50 and p99 latency and
 * throughput per route.
 *
 * Three databases on the real PostgreSQL server get the same sample
 * (`generateSample`, --scale) and the tool schema; one also gets the capture
 * triggers (`installCapture`, every mirrored table), one a floor trigger on
 * the same tables (below). An API stack is started on each through
 * `startApiStack` (src/cli/apiStack.ts, what `serve` and `dev` run: the plain
 * transaction runner, reads from Postgres). Each route is then loaded for
 * --seconds by --connections autocannon connections on each stack in turn, in
 * an order that goes through all six permutations over the blocks, so the
 * machine's drift hits every stack alike; figures are the medians over
 * blocks. No relay runs, so nothing calls Convex: the difference is the
 * capture trigger's cost as the API sees it.
 *
 * The floor: any outbox written by a trigger in the writer's transaction
 * writes at least one row per changed row. The floor stack's trigger writes
 * just that, a row holding nothing but its key, into a table with no other
 * index; capture over the floor is what Tandem's row image, settings and
 * indexes add, and the floor over off is what the outbox design costs before
 * any of it (`--without-floor` leaves this stack out).
 *
 * Latency resolution: autocannon's own histogram holds whole milliseconds, so
 * a 7 → 8 ms p99 read as +14 % from rounding alone. Each response's time
 * (autocannon measures it with process.hrtime) is recorded here in
 * microseconds into an HDR histogram (3 significant digits), and the output
 * says how many requests each block's p99 rests on (the slowest 1 %).
 *
 * Approvals: DOMAIN.md's toggle approval is one editor's approval of one
 * story; several editors approve different stories, and no realistic load has
 * eight requests toggling the same story's approval at once. The approval
 * route therefore gives each connection its own story, taken from the courses
 * in turn (`approval, spread`). Those writes still meet on a course's row when
 * two of the stories share a course (each toggle recounts the course). The
 * old shape, every connection toggling one story, is kept as
 * `approval, one story (contention)`: its latency is mostly the queue for that
 * story's row lock, so any time the trigger adds inside the transaction is
 * multiplied by the queue length; it is a contention case, not the API target.
 *
 * Two ways to load a route:
 * - closed loop (the default, `--rate 0`): every connection sends its next
 *   request as soon as the last is answered, so the route runs at capacity.
 *   Latency is then mostly the queue, and the queue grows with any cost per
 *   request: at capacity, p99's change follows throughput's change.
 * - a fixed rate (`--rate 0.5`): each route is first run closed-loop on the
 *   capture-off stack for a second to find its capacity, then both stacks
 *   are offered that fraction of it (autocannon's overallRate), the same
 *   request rate off and on. That is how a service's latency is held to a
 *   target in production (at a stated load, below saturation); p99 then
 *   shows what capture adds to a request rather than to a queue.
 *
 * Target: capture adds 10 % or less to p99. The verdict printed weighs the
 * write routes' change against the reads capture does not touch (their change
 * between stacks is the run's noise): `NOT SHOWN` when the two overlap.
 *
 *   npx tsx bench/apiLoad.ts [--scale 0.05] [--seconds 4] [--connections 8] [--blocks 6] [--rate 0|0.5] [--without-floor] [--routes courses,done]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { installCapture } from '../src/capture/index.js';
import { startApiStack, type RunningApi } from '../src/cli/apiStack.js';
import storySite from '../examples/story-site/src/plugin.js';
import { silentLogger } from '../src/log.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, markdownTable } from './support/stats.js';
import { storySiteCapture } from '../test/support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.05' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '8' },
    blocks: { type: 'string', default: '6' },
    rate: { type: 'string', default: '0' },
    'without-floor': { type: 'boolean', default: false },
    /** Comma-separated words; a route is loaded when its name contains one (default: every route). */
    routes: { type: 'string' },
  },
});
const ROUTE_FILTER = args.routes?.split(',').map((w) => w.trim()).filter(Boolean);
const RATE_FRACTION = Number(args.rate);
if (!(RATE_FRACTION >= 0 && RATE_FRACTION < 1)) throw new Error(`--rate must be 0 (closed loop) or a fraction of capacity below 1, not ${args.rate}`);

const TOKENS = {
  'bench-reader-token': { userId: 1, role: 'reader' as const },
  'bench-editor-token': { userId: 2, role: 'editor' as const },
};

interface Route {
  name: string;
  method: 'GET' | 'POST';
  /** One path for every connection, or one per connection (connection i gets paths[i mod n]). */
  paths: string[];
  token?: string;
  /** A write route counted for the target (the contention case is reported, not counted). */
  target: boolean;
}

/**
 * The routes loaded: two public reads and the two writes (each write is
 * captured when capture is on), the approval both spread over stories and on
 * one story (see the header).
 */
async function chooseRoutes(db: BenchDatabase, connections: number): Promise<Route[]> {
  const { rows } = await db.pool.query<{ story: number; short: string }>(
    `SELECT (SELECT min(id) FROM story WHERE public AND NOT deleted) AS story,
            (SELECT short FROM course WHERE public ORDER BY id LIMIT 1) AS short`,
  );
  const { story, short } = rows[0]!;
  // The n-th story of every course, courses in turn: as few shared course rows as the sample allows.
  const spread = await db.pool.query<{ id: number }>(
    `SELECT id FROM (SELECT id, course_id, row_number() OVER (PARTITION BY course_id ORDER BY id) AS n
                       FROM story WHERE NOT deleted AND course_id IS NOT NULL) s
      ORDER BY n, course_id LIMIT $1`,
    [connections],
  );
  const approval = (id: number) => `/api/stories/${id}/approval`;
  return [
    { name: 'GET /api/courses', method: 'GET', paths: ['/api/courses'], target: false },
    { name: 'GET /api/courses/:short/stories', method: 'GET', paths: [`/api/courses/${short}/stories`], target: false },
    { name: 'POST /api/stories/:id/done', method: 'POST', paths: [`/api/stories/${story}/done`], target: true },
    {
      name: `POST /api/stories/:id/approval, spread (${spread.rows.length} stories)`,
      method: 'POST',
      paths: spread.rows.map((r) => approval(r.id)),
      token: 'bench-editor-token',
      target: true,
    },
    {
      name: 'POST /api/stories/:id/approval, one story (contention)',
      method: 'POST',
      paths: [approval(story)],
      token: 'bench-editor-token',
      target: false,
    },
  ];
}

type Capture = 'off' | 'on' | 'floor';

interface Load {
  route: string;
  capture: Capture;
  /** Latencies in ms, from microsecond samples. */
  p50: number;
  p99: number;
  rps: number;
  /** 2xx responses recorded in the histogram. */
  requests: number;
  failed: number;
}

const PERCENTILE = 99;

/** Requests at or above the p-th percentile of n: what that percentile rests on. */
const tailCount = (n: number, p: number) => Math.ceil(n * (1 - p / 100));

async function load(api: RunningApi, route: Route, capture: Capture, overallRate?: number, seconds = Number(args.seconds)): Promise<Load> {
  // Microseconds, up to a minute; 3 significant digits (1 µs at 1 ms, 10 µs at 10 ms).
  const latencies = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let connection = 0;
  const options: autocannon.Options = {
    url: api.url + route.paths[0],
    method: route.method,
    connections: Number(args.connections),
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
    headers: route.token ? { authorization: `Bearer ${route.token}` } : {},
    setupClient: (client) => {
      const path = route.paths[connection++ % route.paths.length]!;
      client.setRequest({ method: route.method, path, headers: route.token ? { authorization: `Bearer ${route.token}` } : {} });
    },
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, done) => (err ? reject(err as Error) : resolve(done)));
    // responseTime is autocannon's process.hrtime measure in fractional ms; its own histogram truncates it.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.recordValue(Math.max(1, Math.round(responseTime * 1000)));
    });
  });
  const summary = {
    p50: latencies.getValueAtPercentile(50) / 1000,
    p99: latencies.getValueAtPercentile(PERCENTILE) / 1000,
    requests: latencies.totalCount,
  };
  latencies.destroy();
  return {
    route: route.name,
    capture,
    ...summary,
    rps: result.requests.average,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const pct = (on: number, off: number) => `${on >= off ? '+' : ''}${fixed(((on - off) / off) * 100, 1)} %`;

function report(results: Load[], routes: Route[], withFloor: boolean): void {
  const rows = routes.map((route) => {
    const of = (capture: Capture) => results.filter((r) => r.route === route.name && r.capture === capture);
    const m = (capture: Capture, field: 'p50' | 'p99' | 'rps' | 'requests') => median(of(capture).map((r) => r[field]));
    const failed = results.filter((r) => r.route === route.name).reduce((n, r) => n + r.failed, 0);
    const floorCells = withFloor
      ? [fixed(m('floor', 'p50'), 2), fixed(m('floor', 'p99'), 2), pct(m('floor', 'p99'), m('off', 'p99')), pct(m('on', 'p99'), m('floor', 'p99')), fixed(m('floor', 'rps'), 0)]
      : [];
    return {
      route,
      cells: [
        route.name,
        fixed(m('off', 'p50'), 2),
        fixed(m('on', 'p50'), 2),
        fixed(m('off', 'p99'), 2),
        fixed(m('on', 'p99'), 2),
        pct(m('on', 'p99'), m('off', 'p99')),
        fixed(m('off', 'rps'), 0),
        fixed(m('on', 'rps'), 0),
        pct(m('on', 'rps'), m('off', 'rps')),
        ...floorCells,
        String(failed),
      ],
      p99: { off: m('off', 'p99'), on: m('on', 'p99'), ...(withFloor ? { floor: m('floor', 'p99') } : {}) },
      tail: { off: tailCount(m('off', 'requests'), PERCENTILE), on: tailCount(m('on', 'requests'), PERCENTILE) },
    };
  });
  process.stdout.write(
    markdownTable(
      ['route', 'off p50 ms', 'on p50 ms', 'off p99 ms', 'on p99 ms', 'on Δ p99', 'off req/s', 'on req/s', 'on Δ req/s',
        ...(withFloor ? ['floor p50 ms', 'floor p99 ms', 'floor Δ p99 (over off)', 'on over floor p99', 'floor req/s'] : []), 'non-2xx or errors'],
      rows.map((r) => r.cells),
    ),
  );
  process.stdout.write(
    `\nLatencies from microsecond samples. Each block's p99 rests on its slowest 1 % of requests; ` +
      `median per block (off / on): ${rows.map((r) => `${r.route.name} ${r.tail.off} / ${r.tail.on}`).join('; ')}.\n` +
      (withFloor ? 'floor: a trigger on the same tables writing one key-only row per changed row (the least a trigger outbox writes).\n' : ''),
  );
  process.stdout.write('\nEvery block (the medians above are over these):\n\n');
  process.stdout.write(
    markdownTable(
      ['route', 'capture', 'p50 ms', 'p99 ms', 'req/s', 'requests', 'requests ≥ p99'],
      results.map((r) => [
        r.route,
        r.capture,
        fixed(r.p50, 3),
        fixed(r.p99, 3),
        fixed(r.rps, 0),
        String(r.requests),
        String(tailCount(r.requests, PERCENTILE)),
      ]),
    ),
  );
  const counted = rows.filter((r) => r.route.target);
  // The reads capture does not touch measure this run's noise: a change in p99
  // between stacks that they show too is not capture's.
  const untouched = rows.filter((r) => r.route.method === 'GET');
  const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.min(...xs);
  const noise = Math.max(0, ...untouched.map((r) => spread(Object.values(r.p99))));
  const worst = Math.max(...counted.map((r) => (r.p99.on - r.p99.off) / r.p99.off));
  const verdict = worst <= 0.1 ? (worst + noise <= 0.1 ? 'MET' : `MET, within this run's noise`) : worst - noise > 0.1 ? 'NOT MET' : `NOT SHOWN: within this run's noise`;
  process.stdout.write(
    (counted.length === 0
      ? '\nTarget: no write route was loaded\n'
      : `\nTarget: capture adds <= 10 % to p99 on the write routes (the contention case not counted): worst ${pct(1 + worst, 1)}; ` +
        `untouched reads' p99 differed between stacks by ${untouched.length ? `up to ${fixed(noise * 100, 1)} %` : '(none loaded)'} -> ${verdict}\n`) +
      `load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
  );
}

/**
 * The order of the stacks in block b: rotated by one each block, and reversed
 * every other round of rotations, so every stack runs in every position
 * equally often (three stacks: a Latin square per three blocks, all six orders
 * per six; two stacks: off, on, then on, off).
 */
function blockOrder(stacks: readonly Capture[], block: number): Capture[] {
  const shift = block % stacks.length;
  const rotated = [...stacks.slice(shift), ...stacks.slice(0, shift)];
  return Math.floor(block / stacks.length) % 2 === 1 ? rotated.reverse() : rotated;
}

/**
 * The floor stack's trigger: one row per changed row, holding only its key
 * (bigserial primary key, no other index), in the writer's transaction.
 */
async function installFloorTrigger(db: BenchDatabase, tables: readonly string[]): Promise<void> {
  await db.pool.query(`CREATE TABLE bench_floor_outbox (id bigserial PRIMARY KEY)`);
  await db.pool.query(
    `CREATE FUNCTION bench_floor_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO bench_floor_outbox DEFAULT VALUES; RETURN NULL; END $$`,
  );
  for (const table of tables) {
    await db.pool.query(`CREATE TRIGGER bench_floor AFTER INSERT OR UPDATE OR DELETE ON "${table.replaceAll('"', '""')}" FOR EACH ROW EXECUTE FUNCTION bench_floor_row()`);
  }
}

async function main(): Promise<void> {
  const withFloor = !args['without-floor'];
  const stacks: Capture[] = withFloor ? ['off', 'on', 'floor'] : ['off', 'on'];
  await withBenchDatabases(stacks.length, Number(args.connections) + 4, async ([off, on, floor]) => {
    printMachine(await describeMachine(off!.pool));
    process.stdout.write(
      `API load: autocannon, ${args.connections} connections, ${RATE_FRACTION > 0 ? `a fixed rate of ${RATE_FRACTION} of capacity` : 'closed loop (at capacity)'}, latency per response in µs (HDR histogram), ${args.seconds} s per route and block, ${args.blocks} blocks; ` +
        `sample scale ${args.scale}; stacks ${stacks.join(', ')}; target: none (no relay runs, nothing calls Convex)\n\n`,
    );
    for (const db of [off!, on!, ...(floor ? [floor] : [])]) {
      await generateSample(db.pool, { scale: Number(args.scale), seed: 1 });
      await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    }
    await installCapture(on!.pool, { ...storySiteCapture(), actor: 'bench' });
    if (floor) await installFloorTrigger(floor, storySiteCapture().tables);
    const start = (db: BenchDatabase) =>
      startApiStack({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, application: storySite, tokens: TOKENS, logger: silentLogger, port: 0, host: '127.0.0.1' });
    const apis: Partial<Record<Capture, RunningApi>> = { off: await start(off!), on: await start(on!) };
    if (floor) apis.floor = await start(floor);
    try {
      const routes = (await chooseRoutes(off!, Number(args.connections))).filter(
        (r) => !ROUTE_FILTER || ROUTE_FILTER.some((w) => r.name.includes(w)),
      );
      if (routes.length === 0) throw new Error(`--routes ${args.routes} matches no route`);
      const results: Load[] = [];
      const rates = new Map<string, number | undefined>();
      for (const route of routes) {
        if (RATE_FRACTION === 0) continue;
        const capacity = await load(apis.off!, route, 'off', undefined, 1);
        rates.set(route.name, Math.max(1, Math.round(capacity.rps * RATE_FRACTION)));
      }
      if (RATE_FRACTION > 0) {
        process.stdout.write(
          `Fixed rate: ${RATE_FRACTION} of each route's closed-loop capacity on the capture-off stack, offered alike to every stack: ` +
            `${routes.map((r) => `${r.name} ${rates.get(r.name)} req/s`).join('; ')}\n\n`,
        );
      }
      for (let block = 0; block < Number(args.blocks); block++) {
        const order = blockOrder(stacks, block);
        for (const route of routes) for (const capture of order) results.push(await load(apis[capture]!, route, capture, rates.get(route.name)));
      }
      report(results, routes, withFloor);
    } finally {
      for (const api of Object.values(apis)) await api.app.close();
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
