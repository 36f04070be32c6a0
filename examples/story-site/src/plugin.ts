/**
 * The story site as a Tandem application plug-in (its tandem.config.json names
 * this module in `app`): what `tandem sample`, `dev`, `demo` and `serve` run
 * of it — its schema, its deterministic sample data, its HTTP API (read paths
 * routed by the read cutover, writes by the write cutover, when a Convex is there), and the demo's traffic.
 */
import type { ApplicationPlugin, ApplicationHttpContext } from 'tandem';
import { storySiteApi } from './api/storySiteApi.js';
import type { AppDeps } from './app/ports.js';
import { ConvexReadPaths } from './app/reads/convex.js';
import { PostgresReadPaths } from './app/reads/postgres.js';
import { storySiteReader, storySiteReadRouting } from './app/reads/routing.js';
import { storySiteWriteRouter } from './app/writes/routing.js';
import { DEFAULT_SEED, generateSample } from './app/sample/generateSample.js';
import { plannedCounts } from './app/sample/plan.js';
import { createAppSchema } from './app/schema.js';
import { TransactionRunner } from './app/transactionRunner.js';
import { SampleUserDirectory } from './app/userDirectory.js';
import { runTraffic } from './demoTraffic.js';
import { prepareConvexWrites } from './app/writes/prepareConvex.js';
import { storySiteWritePaths } from './app/writeGroups.js';

function http(context: ApplicationHttpContext) {
  // Contributor names come from the sample naming rule; a real deployment plugs
  // a UserDirectory backed by its auth system in here.
  const deps: AppDeps = {
    pool: context.pool,
    runner: context.runner ?? new TransactionRunner(context.pool),
    users: new SampleUserDirectory(),
  };
  const postgres = new PostgresReadPaths(context.pool);
  const routed = context.reads;
  const readRouting = routed
    ? storySiteReadRouting(
        storySiteReader({
          flags: routed.flags,
          pool: context.pool,
          tool: context.tool,
          log: context.log,
          // Shadow results, metrics and read stats: what `tandem shadow report`, /metrics and the rollback rules see.
          recorder: routed.recorder,
          metrics: routed.metrics,
          stats: routed.stats,
          // The project config's cutover.shadow: how shadow reads are compared, and a share per read path.
          shadow: routed.shadow,
        }),
        {
          postgres,
          convex: new ConvexReadPaths(routed.convex),
        },
        routed.shadow.sampleRates,
      )
    : undefined;
  const writes = context.writes;
  const writeRouter = writes
    ? storySiteWriteRouter({ stages: writes.stages, convex: writes.convex, shadow: writes.shadow, metrics: writes.metrics, log: context.log })
    : undefined;
  return { ...storySiteApi({ deps, reads: postgres, readRouting, writeRouter }), entry: '/api/courses' };
}

const storySite: ApplicationPlugin = {
  name: 'story-site',
  createSchema: createAppSchema,
  sample: {
    defaultSeed: DEFAULT_SEED,
    scaleHelp: '1 = 100 languages, 2,000 stories, 100,000 reads; any positive number',
    plannedCounts,
    generate: generateSample,
  },
  http,
  demoTraffic: runTraffic,
  writeCutover: { prepare: prepareConvexWrites, writePaths: storySiteWritePaths },
};

export default storySite;
