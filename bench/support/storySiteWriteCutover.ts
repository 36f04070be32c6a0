/**
 * The story site ready for a write cutover, for the write benchmarks: a
 * dedicated database with the story site's schema, capture on and the
 * extended fixture; the EMBEDDED Convex target (the story site's convex/ in
 * convex-test, in this process: not a Convex deployment) holding the relay's
 * mirror; the write groups saved, the write flags and the story site's write
 * router over them, and the relay running. `cutover` and `rollback` move one
 * group with the library's cutoverWriteStage / rollbackWriteStage, forced
 * (gates empty) and audited as actor `bench`.
 */
import type pg from 'pg';
import { storySiteGroups } from '../../examples/story-site/src/app/writeGroups.js';
import { storySiteWriteRouter } from '../../examples/story-site/src/app/writes/routing.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';
import { convexKeyRangeStore, refillKeyRanges } from '../../src/keys/index.js';
import { silentLogger } from '../../src/log.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { drainReverseSync, type ReverseSyncOptions } from '../../src/reverseSync/worker.js';
import {
  cutoverWriteStage,
  relayOutboxDrain,
  rollbackWriteStage,
  saveWriteGroups,
  WriteFlags,
} from '../../src/writeCutover/index.js';
import { appDeps, seedExtendedFixture } from '../../test/support/appFixture.js';
import { prepareCapturedSchema } from '../../test/support/convexReads.js';
import { convexSideFor, SERIAL_KEYS } from '../../test/support/convexWrites.js';
import { makeRelay } from '../../test/support/mirror.js';
import { STORY_SITE_TABLES } from '../../test/support/storySiteMirror.js';
import { SEED_EXTRAS } from '../../test/support/writeCalls.js';

export const BENCH_AUDIT = { actor: 'bench', why: 'bench' };

export type StorySiteWriteCutover = Awaited<ReturnType<typeof startStorySiteWriteCutover>>;

/** `keys`: ids reserved for Convex before each cutover (its low-water mark and batch). */
export async function startStorySiteWriteCutover(pool: pg.Pool, keys = 2_000) {
  await prepareCapturedSchema(pool);
  await seedExtendedFixture(pool);
  await pool.query(SEED_EXTRAS);
  const convex = await convexSideFor(pool, keys);
  await saveWriteGroups(pool, TOOL, storySiteGroups, BENCH_AUDIT);
  const flags = await WriteFlags.start({ tool: TOOL, pool, pollMs: 50, listen: false });
  const router = storySiteWriteRouter({ stages: flags, convex, log: silentLogger });
  const relay = makeRelay(pool, convex);
  relay.start();
  const reverseSync = (): ReverseSyncOptions => ({
    tool: TOOL,
    pool,
    source: changeLogSource(convex),
    config: STORY_SITE_TABLES,
    idleMs: 5,
    log: silentLogger,
  });
  // A rollback hands the keys back to Postgres's sequences: Convex needs fresh ranges before each switch.
  const cutover = async (group: string) => {
    await refillKeyRanges(pool, convexKeyRangeStore(convex), SERIAL_KEYS, {
      lowWater: keys,
      batch: keys,
    });
    return cutoverWriteStage(pool, TOOL, {
      ...BENCH_AUDIT,
      group,
      force: true,
      gates: async () => [],
      outbox: relayOutboxDrain(pool, TOOL),
      convex: changeLogSource(convex),
      hold: router,
      deadlineMs: 60_000,
    });
  };
  const rollback = (group: string) =>
    rollbackWriteStage(pool, TOOL, {
      ...BENCH_AUDIT,
      group,
      drain: { drain: (_g, ms) => drainReverseSync(reverseSync(), undefined, ms) },
      hold: router,
      deadlineMs: 60_000,
    });
  const close = async () => {
    await relay.stop();
    await flags.close();
    await convex.close();
  };
  return { convex, flags, router, relay, deps: appDeps(pool), reverseSync, cutover, rollback, close };
}
