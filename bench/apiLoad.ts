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
 * Target: capture adds 10 % or less to p99.
 *
 *   npx tsx bench/apiLoad.ts [--scale 0.05] [--seconds 4] [--connections 8] [--blocks 4]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
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
  },
});

const TOKENS = {
  'bench-reader-token': { userId: 1, role: 'reader' as const },
  'bench-editor-token': { userId: 2, role: 'editor' as const },
};

interface Route {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  token?: string;
}

/** The routes loaded: two public reads and two writes (each write is captured when capture is on). */
async function chooseRoutes(db: BenchDatabase): Promise<Route[]> {
  const { rows } = await db.pool.query<{ story: number; short: string }>(
    `SELECT (SELECT min(id) FROM story WHERE public AND NOT deleted) AS story,
            (SELECT short FROM course WHERE public ORDER BY id LIMIT 1) AS short`,
  );
  const { story, short } = rows[0]!;
  return [
    { name: 'GET /api/courses', method: 'GET', path: '/api/courses' },
    { name: 'GET /api/courses/:short/stories', method: 'GET', path: `/api/courses/${short}/stories` },
    { name: 'POST /api/stories/:id/done', method: 'POST', path: `/api/stories/${story}/done` },
    { name: 'POST /api/stories/:id/approval', method: 'POST', path: `/api/stories/${story}/approval`, token: 'bench-editor-token' },
  ];
}

interface Load {
  route: string;
  capture: 'off' | 'on';
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  failed: number;
}

async function load(api: RunningApi, route: Route, capture: Load['capture']): Promise<Load> {
  const result = await autocannon({
    url: api.url + route.path,
    method: route.method,
    connections: Number(args.connections),
    duration: Number(args.seconds),
    headers: route.token ? { authorization: `Bearer ${route.token}` } : {},
  });
  return {
    route: route.name,
    capture,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    requests: result.requests.total,
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
    const m = (capture: Load['capture'], field: 'p50' | 'p99' | 'rps') => median(of(capture).map((r) => r[field]));
    const failed = results.filter((r) => r.route === route.name).reduce((n, r) => n + r.failed, 0);
    return {
      route: route.name,
      cells: [
        route.name,
        fixed(m('off', 'p50'), 1),
        fixed(m('on', 'p50'), 1),
        fixed(m('off', 'p99'), 1),
        fixed(m('on', 'p99'), 1),
        pct(m('on', 'p99'), m('off', 'p99')),
        fixed(m('off', 'rps'), 0),
        fixed(m('on', 'rps'), 0),
        pct(m('on', 'rps'), m('off', 'rps')),
        String(failed),
      ],
      p99: { off: m('off', 'p99'), on: m('on', 'p99') },
    };
  });
  process.stdout.write(
    markdownTable(
      ['route', 'off p50 ms', 'on p50 ms', 'off p99 ms', 'on p99 ms', 'on Δ p99', 'off req/s', 'on req/s', 'on Δ req/s', 'non-2xx or errors'],
      rows.map((r) => r.cells),
    ),
  );
  process.stdout.write('\nEvery block (the medians above are over these):\n\n');
  process.stdout.write(
    markdownTable(
      ['route', 'capture', 'p50 ms', 'p99 ms', 'req/s', 'requests'],
      results.map((r) => [r.route, r.capture, fixed(r.p50, 1), fixed(r.p99, 1), fixed(r.rps, 0), String(r.requests)]),
    ),
  );
  const writes = rows.filter((r) => r.route.startsWith('POST'));
  const worst = Math.max(...writes.map((r) => (r.p99.on - r.p99.off) / r.p99.off));
  process.stdout.write(
    `\nTarget: capture adds <= 10 % to p99 on the write routes: worst ${pct(1 + worst, 1)} -> ${worst <= 0.1 ? 'MET' : 'NOT MET'}\n` +
      `load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
  );
}

async function main(): Promise<void> {
  await withBenchDatabases(2, Number(args.connections) + 4, async ([off, on]) => {
    printMachine(await describeMachine(off!.pool));
    process.stdout.write(
      `API load: autocannon, ${args.connections} connections, ${args.seconds} s per route and block, ${args.blocks} blocks; ` +
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
      const routes = await chooseRoutes(off!);
      const results: Load[] = [];
      for (let block = 0; block < Number(args.blocks); block++) {
        const order: Array<Load['capture']> = block % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const route of routes) for (const capture of order) results.push(await load(apis[capture], route, capture));
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
