/**
 * Where a relay round's time goes, worker by worker: one drain of small events
 * with every statement, mapping and target call timed and tagged with the
 * worker that made it (AsyncLocalStorage), plus the time each worker spent
 * outside rounds (idle sleeps, drained checks). Prints per-worker totals and
 * how the drain's wall time splits between rounds and idling, so a drain that
 * is bound by waiting rather than by work shows it.
 *
 *   npm run bench:relay-rounds -- [--small 40000] [--workers 4] [--latency 20]
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { installCapture } from '../src/capture/index.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';
import { silentLogger } from '../src/log.js';
import { migrate } from '../src/postgres/migrate.js';
import { mirrorMapper } from '../src/relay/changeMapper.js';
import { createRelayMetrics } from '../src/relay/metrics.js';
import { Relay } from '../src/relay/relay.js';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../test/support/storySiteMirror.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { CountingTarget } from './support/countingTarget.js';
import { fillSmallEvents, resetOutbox } from './support/fillOutbox.js';
import { RelayProfile } from './support/relayProfile.js';
import { fixed, markdownTable } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    small: { type: 'string', default: '40000' },
    workers: { type: 'string', default: '4' },
    latency: { type: 'string', default: '20' },
  },
});
const WORKERS = Number(args.workers);

const worker = new AsyncLocalStorage<string>();
/** One profile per worker (and one for work outside any round). */
const profiles = new Map<string, RelayProfile>();
const profileOf = () => {
  const id = worker.getStore() ?? 'outside rounds';
  let p = profiles.get(id);
  if (!p) profiles.set(id, (p = new RelayProfile()));
  return p;
};

/** A RelayProfile-like facade that files each timing under the current worker. */
const routed = new Proxy(new RelayProfile(), {
  get: (target, prop, receiver) => (prop === 'add' ? (label: string, ms: number) => profileOf().add(label, ms) : Reflect.get(target, prop, receiver)),
});

class TracedRelay extends Relay {
  override round(workerId: string, txid?: string) {
    return worker.run(workerId.slice(workerId.lastIndexOf('/') + 1), async () => {
      const started = performance.now();
      const outcome = await super.round(workerId, txid);
      profileOf().add(outcome ? 'round (claimed something)' : 'round (nothing claimable)', performance.now() - started);
      return outcome;
    });
  }
}

await withBenchDatabases(1, WORKERS * 2 + 2, async ([db]) => {
  const pool = db!.pool;
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await generateSample(pool, { scale: 0.01, seed: 1 });
  await installCapture(pool, { ...storySiteCapture(), actor: 'bench' });
  await fillSmallEvents(pool, Number(args.small), 100);
  await resetOutbox(pool);
  const target = new CountingTarget(Number(args.latency));
  const timedTarget = {
    applyBatch: async (batches: Parameters<CountingTarget['applyBatch']>[0]) => {
      const started = performance.now();
      try {
        return await target.applyBatch(batches);
      } finally {
        profileOf().add('target call (modeled round trip)', performance.now() - started);
      }
    },
  };
  const relay = new TracedRelay(
    {
      tool: DEFAULT_TOOL_SCHEMA,
      pool: routed.timedPool(pool),
      target: timedTarget,
      mapper: routed.timedMapper(mirrorMapper(STORY_SITE_TABLES)),
      metrics: createRelayMetrics(),
      log: silentLogger,
    },
    { workers: WORKERS },
  );
  const load = os.loadavg()[0]!.toFixed(1);
  const started = performance.now();
  const summary = await relay.drain();
  const wallMs = performance.now() - started;
  process.stdout.write(
    `${summary.applied} events, ${WORKERS} workers, ${fixed(wallMs / 1000, 2)} s wall (${fixed(summary.applied / (wallMs / 1000), 0)} events/s), ` +
      `${target.calls} target calls (max ${target.maxEventsPerCall} events per call), load ${load}\n\n`,
  );
  const labels = [...new Set([...profiles.values()].flatMap((p) => [...p.ms.keys()]))].sort();
  const ids = [...profiles.keys()].sort();
  process.stdout.write(
    markdownTable(
      ['ms (count)', ...ids],
      labels.map((label) => [
        label,
        ...ids.map((id) => {
          const p = profiles.get(id)!;
          return p.ms.has(label) ? `${fixed(p.ms.get(label)!, 0)} (${p.counts.get(label)})` : '';
        }),
      ]),
    ),
  );
  const inRounds = (id: string) =>
    (profiles.get(id)?.ms.get('round (claimed something)') ?? 0) + (profiles.get(id)?.ms.get('round (nothing claimable)') ?? 0);
  process.stdout.write(
    `\nper worker, share of the wall time outside any round (idle sleeps, drained checks): ` +
      ids
        .filter((id) => id !== 'outside rounds')
        .map((id) => `${id} ${fixed((100 * (wallMs - inRounds(id))) / wallMs, 0)} %`)
        .join(', ') +
      '\n',
  );
});
