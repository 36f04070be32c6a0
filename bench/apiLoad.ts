/**
 * Benchmark: the story site's HTTP API under load (autocannon), with capture
 * off and on, in the same run: p50 and p99 latency and throughput per route.
 *
 * Two databases on the real PostgreSQL server get the same sample
 * (`generateSample`, --scale) and the tool schema; one also gets the capture
 * triggers (`installCapture`, every mirrored table). An API stack is started
 * on each through `startApiStack` (src/cli/apiStack.ts, what `serve` and `dev`
 * run: the plain transaction runner, reads from Postgres). Each route is then
 * loaded for --seconds by --connections autocannon connections, alternately on
 * the two stacks (off, on, on, off, ... for --blocks blocks) so the machine's
 * drift hits both alike; figures are the medians over blocks. No relay runs,
 * so nothing calls Convex: the difference is the capture trigger's cost as the
 * API sees it.
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
 * Target: capture adds 10 % or less to p99.
 *
 *   npx tsx bench/apiLoad.ts [--scale 0.05] [--seconds 4] [--connections 8] [--blocks 4] [--rate 0|0.5]
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
    blocks: { type: 'string', default: '4' },
    rate: { type: 'string', default: '0' },
  },
});
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

interface Load {
  route: string;
  capture: 'off' | 'on';
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

async function load(api: RunningApi, route: Route, capture: Load['capture'], overallRate?: number, seconds = Number(args.seconds)): Promise<Load> {
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

function report(results: Load[], routes: Route[]): void {
  const rows = routes.map((route) => {
    const of = (capture: Load['capture']) => results.filter((r) => r.route === route.name && r.capture === capture);
    const m = (capture: Load['capture'], field: 'p50' | 'p99' | 'rps' | 'requests') => median(of(capture).map((r) => r[field]));
    const failed = results.filter((r) => r.route === route.name).reduce((n, r) => n + r.failed, 0);
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
        String(failed),
      ],
      p99: { off: m('off', 'p99'), on: m('on', 'p99') },
      tail: { off: tailCount(m('off', 'requests'), PERCENTILE), on: tailCount(m('on', 'requests'), PERCENTILE) },
    };
  });
  process.stdout.write(
    markdownTable(
      ['route', 'off p50 ms', 'on p50 ms', 'off p99 ms', 'on p99 ms', 'on Δ p99', 'off req/s', 'on req/s', 'on Δ req/s', 'non-2xx or errors'],
      rows.map((r) => r.cells),
    ),
  );
  process.stdout.write(
    `\nLatencies from microsecond samples. Each block's p99 rests on its slowest 1 % of requests; ` +
      `median per block (off / on): ${rows.map((r) => `${r.route.name} ${r.tail.off} / ${r.tail.on}`).join('; ')}.\n`,
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
  const worst = Math.max(...counted.map((r) => (r.p99.on - r.p99.off) / r.p99.off));
  process.stdout.write(
    `\nTarget: capture adds <= 10 % to p99 on the write routes (the contention case not counted): worst ${pct(1 + worst, 1)} -> ${worst <= 0.1 ? 'MET' : 'NOT MET'}\n` +
      `load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
  );
}

async function main(): Promise<void> {
  await withBenchDatabases(2, Number(args.connections) + 4, async ([off, on]) => {
    printMachine(await describeMachine(off!.pool));
    process.stdout.write(
      `API load: autocannon, ${args.connections} connections, ${RATE_FRACTION > 0 ? `a fixed rate of ${RATE_FRACTION} of capacity` : 'closed loop (at capacity)'}, latency per response in µs (HDR histogram), ${args.seconds} s per route and block, ${args.blocks} blocks; ` +
        `sample scale ${args.scale}; target: none (no relay runs, nothing calls Convex)\n\n`,
    );
    for (const db of [off!, on!]) {
      await generateSample(db.pool, { scale: Number(args.scale), seed: 1 });
      await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    }
    await installCapture(on!.pool, { ...storySiteCapture(), actor: 'bench' });
    const start = (db: BenchDatabase) =>
      startApiStack({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, application: storySite, tokens: TOKENS, logger: silentLogger, port: 0, host: '127.0.0.1' });
    const apis = { off: await start(off!), on: await start(on!) };
    try {
      const routes = await chooseRoutes(off!, Number(args.connections));
      const results: Load[] = [];
      const rates = new Map<string, number | undefined>();
      for (const route of routes) {
        if (RATE_FRACTION === 0) continue;
        const capacity = await load(apis.off, route, 'off', undefined, 1);
        rates.set(route.name, Math.max(1, Math.round(capacity.rps * RATE_FRACTION)));
      }
      if (RATE_FRACTION > 0) {
        process.stdout.write(
          `Fixed rate: ${RATE_FRACTION} of each route's closed-loop capacity on the capture-off stack, offered alike to both stacks: ` +
            `${routes.map((r) => `${r.name} ${rates.get(r.name)} req/s`).join('; ')}\n\n`,
        );
      }
      for (let block = 0; block < Number(args.blocks); block++) {
        const order: Array<Load['capture']> = block % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const route of routes) for (const capture of order) results.push(await load(apis[capture], route, capture, rates.get(route.name)));
      }
      report(results, routes);
    } finally {
      await apis.off.app.close();
      await apis.on.app.close();
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
