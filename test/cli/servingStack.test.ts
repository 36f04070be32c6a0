/**
 * Reverse sync and the write cutover's metrics in the stack `tandem dev` and
 * `tandem demo` serve (startServing: relay, mirror helper, write stages,
 * reverse sync, the HTTP host with the story site's API and /metrics), on
 * a fresh database of each backend and an embedded Convex holding its mirror.
 *
 * While every group writes to Postgres the reverse-sync worker is idle. Once
 * the stories group is moved to `convex`, a write through the API lands in
 * Convex and the stack's own worker brings exactly the rows it changed to
 * Postgres, at the versions Convex gave them; /metrics then shows the stage,
 * the writes per store, the refusal, and the reverse-sync counts and lag.
 * A stop ends the worker; a new stack over the same stores goes on from the
 * cursor, applying only what was logged meanwhile. startServing is the CLI's,
 * not part of the public API, so this is a test of the tool, serving the story
 * site.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving, type ServingStores } from '../../src/cli/embeddedStack.js';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { silentLogger } from '../../src/log.js';
import { outboxDrained } from '../../src/outbox/outboxStore.js';
import { readCursor } from '../../src/reverseSync/applyPage.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { saveWriteGroups, setWriteStage } from '../../src/writeCutover/index.js';
import { convexSideFor, writePathsDatabase } from '../support/convexWrites.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { metricSamples as samples } from '../support/metricsText.js';
import storySite from '../../examples/story-site/src/plugin.js';
import { storySiteGroups, storySiteWriteGroups } from '../../examples/story-site/src/app/writeGroups.js';
import { convexWrites } from '../../examples/story-site/src/app/writes/convexPaths.js';
import type { Actor } from '../../examples/story-site/src/app/ports.js';
import { AS, TOKENS } from '../../examples/story-site/test/api/harness.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';

const STORIES = storySiteWriteGroups.toggleApproval!;

/** Polls `ready` until it holds: the stack's worker and watchers run on their own schedule. */
async function waitFor(what: string, ready: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every mirrored document Convex wrote itself (a version above `floor`), as `table key version`. */
async function convexWrittenRows(convex: EmbeddedConvexTarget, floor: number): Promise<string[]> {
  const rows: string[] = [];
  for (const table of STORY_SITE_TABLES.tables) {
    for (const doc of await convex.documents(table.name))
      if ((doc.pgVersion as number) > floor) rows.push(`${table.name} ${String(doc.pgKey)} ${String(doc.pgVersion)}`);
  }
  return rows.sort();
}

async function reverseSyncedRows(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ row: string }>(
    `SELECT table_name || ' ' || key || ' ' || version AS row FROM tandem.reverse_sync_key`,
  );
  return rows.map((r) => r.row).sort();
}

describe.each(await availableBackends())('reverse sync in the serving stack [%s]', (backend) => {
  let db: TestDatabase;
  let convex: EmbeddedConvexTarget;
  let stores: ServingStores;
  let serving: Serving | undefined;
  let floor: number;

  const start = async () => {
    return startServing(stores, {
      tool: TOOL,
      // Imported, not loaded from the config: one copy of the tool's error classes in this process.
      application: storySite,
      mirror: STORY_SITE_TABLES,
      tokens: TOKENS,
      port: 0,
      host: '127.0.0.1',
      mirrorWaitMs: 200,
      log: silentLogger,
    });
  };
  const post = async (path: string) => {
    const res = await fetch(`${serving!.api.url}${path}`, { method: 'POST', headers: AS.editor });
    return { status: res.status, source: res.headers.get('tandem-write-source') };
  };
  const scrape = async () => (await fetch(`${serving!.api.url}/metrics`)).text();
  const drained = async () =>
    (await changeLogSource(convex).pendingChanges(await readCursor(db.pool, TOOL))).pending === 0;
  const approvalsOf = async (storyId: number) =>
    (
      await db.pool.query<{ row: string }>(
        `SELECT id || ':' || user_id AS row FROM story_approval WHERE story_id = $1 ORDER BY id`,
        [storyId],
      )
    ).rows.map((r) => r.row);
  const convexApprovalsOf = async (storyId: number) =>
    (await convex.documents('story_approval'))
      .filter((d) => d.story_id === storyId)
      .sort((a, b) => (a.id as number) - (b.id as number))
      .map((d) => `${String(d.id)}:${String(d.user_id)}`);

  beforeAll(async () => {
    db = await writePathsDatabase(backend);
    convex = await convexSideFor(db.pool);
    await saveWriteGroups(db.pool, TOOL, storySiteGroups, { actor: 'test', why: 'story site groups' });
    stores = { pool: db.pool, target: convex, convexAdminKey: 'test-admin-key', pg: { url: db.url } };
    serving = await start();
  }, 120_000);

  afterAll(async () => {
    await serving?.stop();
    await convex?.close();
    await db?.close();
  });

  it('at postgres everywhere the worker is idle and /metrics shows every group at postgres', async () => {
    expect(serving!.reverseSync.running).toBe(false);
    expect(await post('/api/stories/1/approval')).toEqual({ status: 200, source: 'postgres' });
    const text = await scrape();
    expect(samples(text, 'tandem_write_stage')).toEqual(
      storySiteGroups.map((g) => `{group="${g.name}"} 0`).sort(),
    );
    expect(samples(text, 'tandem_writes_total')).toEqual([
      `{path="toggleApproval",group="${STORIES}",store="postgres"} 1`,
    ]);
    expect(samples(text, 'tandem_reverse_sync_pending')).toEqual(['0']);
    expect(samples(text, 'tandem_reverse_sync_applied_total')).toEqual(['0']);
    expect(samples(text, 'tandem_reverse_sync_table_lag_seconds')).toEqual([]);
  });

  it('at convex the stack applies exactly the rows Convex wrote to Postgres, at their versions, and /metrics counts them', async () => {
    // As the forward switch does: the group's outbox reaches Convex before Convex writes.
    await waitFor('the relay to drain the outbox', () => outboxDrained(db.pool, TOOL));
    floor = Number(
      (await db.pool.query<{ v: string }>('SELECT last_value AS v FROM tandem.outbox_seq_seq')).rows[0]!.v,
    );
    await setWriteStage(db.pool, TOOL, {
      group: STORIES,
      stage: 'convex',
      why: 'test',
      actor: 'test',
      force: true,
      gates: async () => [],
    });
    await waitFor('the worker to start', () => serving!.reverseSync.running);
    await waitFor('the API to write to Convex', async () => {
      await serving!.writeFlags.refresh();
      return serving!.writeFlags.stageOf(STORIES) === 'convex';
    });
    expect(await post('/api/stories/3/approval')).toEqual({ status: 200, source: 'convex' });
    expect(await post('/api/stories/9999/approval')).toEqual({ status: 404, source: 'convex' });
    await waitFor('reverse sync to drain', drained);

    const written = await convexWrittenRows(convex, floor);
    expect(written.length).toBeGreaterThan(0);
    expect(await reverseSyncedRows(db.pool)).toEqual(written);
    const approvals = await approvalsOf(3);
    expect(approvals).toEqual(await convexApprovalsOf(3));
    expect(approvals.filter((row) => row.endsWith(':1'))).toHaveLength(1);

    const text = await scrape();
    expect(samples(text, 'tandem_write_stage')).toEqual(
      storySiteGroups.map((g) => `{group="${g.name}"} ${g.name === STORIES ? 2 : 0}`).sort(),
    );
    expect(samples(text, 'tandem_writes_total')).toEqual([
      `{path="toggleApproval",group="${STORIES}",store="convex"} 2`,
      `{path="toggleApproval",group="${STORIES}",store="postgres"} 1`,
    ]);
    expect(samples(text, 'tandem_write_refusals_total')).toEqual([
      `{path="toggleApproval",group="${STORIES}",store="convex",code="not_found"} 1`,
    ]);
    expect(samples(text, 'tandem_reverse_sync_applied_total')).toEqual([`${written.length}`]);
    expect(samples(text, 'tandem_reverse_sync_dead_letters_total')).toEqual(['0']);
    expect(samples(text, 'tandem_reverse_sync_pending')).toEqual(['0']);
    expect(samples(text, 'tandem_reverse_sync_lag_seconds')).toEqual(['0']);
    const storiesTables = storySiteGroups.find((g) => g.name === STORIES)!.tables;
    expect(samples(text, 'tandem_reverse_sync_table_lag_seconds')).toEqual(
      storiesTables.map((t) => `{table="${t}"} 0`).sort(),
    );
    expect(samples(text, 'tandem_write_paused')).toEqual(
      storySiteGroups.map((g) => `{group="${g.name}"} 0`).sort(),
    );
  });

  it('stops with the stack and goes on from the cursor in a new one', async () => {
    const before = await serving!.stop().then(() => serving!.reverseSync.running);
    expect(before).toBe(false);
    serving = undefined;
    const cursor = await readCursor(db.pool, TOOL);
    // A Convex write while no stack runs: logged in Convex, not yet in Postgres.
    const actor: Actor = { userId: 1, role: 'editor' };
    await convexWrites.toggleApproval({ convex }, actor, { story_id: 4 });
    expect(await drained()).toBe(false);
    const waiting = await convexApprovalsOf(4);

    serving = await start();
    await waitFor('the restarted worker to drain', async () => serving!.reverseSync.running && (await drained()));
    expect(await readCursor(db.pool, TOOL)).toBeGreaterThan(cursor);
    expect(await approvalsOf(4)).toEqual(waiting);
    expect(await reverseSyncedRows(db.pool)).toEqual(await convexWrittenRows(convex, floor));
    const newlyWritten = (await convexWrittenRows(convex, cursor)).length;
    expect(samples(await scrape(), 'tandem_reverse_sync_applied_total')).toEqual([`${newlyWritten}`]);
  });
});
