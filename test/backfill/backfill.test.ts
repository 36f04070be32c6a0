import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP_TABLES } from '../../examples/story-site/src/app/schema.js';
import { backfill, backfillStatus, readBackfillState, readBackfillStates } from '../../src/backfill/index.js';
import { installCapture, uninstallCapture } from '../../src/capture/index.js';
import { EmbeddedConvexTarget, RecordingConvexTarget } from '../../src/convex/index.js';
import { ConfigError, InvalidInputError } from '../../src/core/errors.js';
import { estimateChangeBytes } from '../../src/mapping/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { expectConvexEqualsPostgres } from '../support/mirror.js';
import { HookedTarget, prepareBackfillDatabase, resetBackfill, sentKeys } from './fixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
const FIXTURE_COUNTS = { language: 3, localization: 0, image: 2, avatar: 1, speaker: 0, avatar_mapping: 0, course: 2, story: 5, story_approval: 0, story_done: 60 };

describe.each(backends)('backfill [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareBackfillDatabase(db.pool);
  });
  beforeEach(() => resetBackfill(db.pool));
  afterAll(() => db?.close());

  it('refuses to start unless capture is installed on every selected table', async () => {
    await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' });
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language', 'story'] });
    const target = new RecordingConvexTarget();
    const err = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['story', 'story_done', 'language'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'capture: capture is not installed on story_done (absent); run `npx tandem capture install` first: ' +
        'a backfill without capture would lose the writes made while it runs',
    );
    expect(target.calls).toEqual([]);
    expect((await readBackfillStates(db.pool, DEFAULT_TOOL_SCHEMA)).size).toBe(0);
  });

  it('copies every table in plan order, records each table, and leaves Convex equal to Postgres', async () => {
    const target = new HookedTarget(new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR }));
    const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, batchRows: 25 });
    expect(result.stopped).toBe(false);
    expect(result.tables.map((t) => [t.table, t.outcome, t.copied])).toEqual(
      APP_TABLES.map((t) => [t, 'done', FIXTURE_COUNTS[t]]),
    );
    const order = [...new Set(target.sent.flatMap((call) => call.flatMap((tx) => tx.changes.map((c) => c.table))))];
    expect(order).toEqual(APP_TABLES.filter((t) => FIXTURE_COUNTS[t] > 0));
    expect(target.sent.every((call) => call.length === 1 && call[0]!.changes.length <= 25)).toBe(true);
    expect(target.sent.map((call) => call[0]!.txid).slice(-3)).toEqual(['backfill:story_done:1', 'backfill:story_done:2', 'backfill:story_done:3']);
    expect(sentKeys(target.sent)).toEqual(range(1, 60));
    expect(target.sent.flatMap((c) => c[0]!.changes.map((x) => x.version))).toEqual(Array(73).fill(0));
    await expectConvexEqualsPostgres(db.pool, target);

    const state = await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done');
    expect(state).toMatchObject({ status: 'done', lastKey: ['60'], rowsCopied: 60, rowsSkipped: 0, rowsRejected: 0, rowsTotal: 60, lastError: null });
    expect(state!.finishedAt!.getTime()).toBeGreaterThanOrEqual(state!.startedAt.getTime());
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'speaker')).toMatchObject({ status: 'done', lastKey: null, rowsCopied: 0, rowsTotal: 0 });
  });

  it('skips finished tables on the next run; --restart copies a table again and Convex skips what it holds', async () => {
    const convex = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, convex, { config: STORY_SITE_TABLES });
    const again = new HookedTarget(convex);
    const second = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, again, { config: STORY_SITE_TABLES });
    expect(second.tables.map((t) => t.outcome)).toEqual(Array(10).fill('skipped'));
    expect(again.sent).toEqual([]);

    const restarted = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, again, { config: STORY_SITE_TABLES, tables: ['story_done'], restart: true, batchRows: 40 });
    // Pages of 20, 20 (asked for before the first page's row size is known), then up to 40.
    expect(restarted.tables).toMatchObject([{ table: 'story_done', outcome: 'done', copied: 60, skipped: 60, calls: 3, resumedAfter: null }]);
    expect(again.results).toEqual([{ applied: 0, skipped: 20 }, { applied: 0, skipped: 20 }, { applied: 0, skipped: 20 }]);
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done')).toMatchObject({ status: 'done', rowsCopied: 60, rowsSkipped: 60 });
  });

  it('sends each row with its current row version: the newest outbox seq of its key, else 0', async () => {
    await db.pool.query(`UPDATE story SET name = 'first' WHERE id = 2`);
    await db.pool.query(`UPDATE story SET name = 'second' WHERE id = 2`);
    await db.pool.query(`DELETE FROM story_done WHERE id = 5`);
    await db.pool.query(`INSERT INTO story_done (id, user_id, story_id) VALUES (1000, 1, 1)`);
    const { rows: seqs } = await db.pool.query<{ table_name: string; key: string; seq: string }>(
      `SELECT table_name, key, max(seq)::text AS seq FROM tandem.outbox GROUP BY table_name, key`,
    );
    const seqOf = (table: string, key: string) => Number(seqs.find((s) => s.table_name === table && s.key === key)!.seq);
    const target = new RecordingConvexTarget();
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['story', 'story_done'] });
    const changes = target.appliedChanges();
    const version = (table: string, key: string) => changes.find((c) => c.table === table && c.key === key)?.version;
    expect(version('story', '1')).toBe(0);
    expect(version('story', '2')).toBe(seqOf('story', '2'));
    expect(version('story_done', '1000')).toBe(seqOf('story_done', '1000'));
    expect(version('story_done', '5')).toBeUndefined();
    expect(changes.find((c) => c.table === 'story' && c.key === '2')!.doc!.name).toBe('second');
    expect(changes.filter((c) => c.table === 'story_done').map((c) => c.key)).toEqual([...range(1, 4), ...range(6, 60), '1000']);
  });

  it('an aborted run keeps its checkpoint; the next run resumes after it and does not start over', async () => {
    const controller = new AbortController();
    const first = new RecordingConvexTarget();
    const stopped = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, first, { config: STORY_SITE_TABLES,
      batchRows: 10,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'batch' && e.table === 'story_done' && e.done >= 20) controller.abort();
      },
    });
    expect(stopped.stopped).toBe(true);
    // The abort came while the third call was in flight (two at a time): it is acknowledged and checkpointed too.
    expect(stopped.tables.at(-1)).toMatchObject({ table: 'story_done', outcome: 'stopped', copied: 30, calls: 3 });
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done')).toMatchObject({ status: 'stopped', lastKey: ['30'], rowsCopied: 30 });

    const second = new RecordingConvexTarget();
    const resumed = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, second, { config: STORY_SITE_TABLES, batchRows: 10 });
    expect(resumed.tables.filter((t) => t.outcome !== 'skipped').map((t) => t.table)).toEqual(['story_done']);
    expect(resumed.tables.at(-1)).toMatchObject({ outcome: 'done', copied: 30, resumedAfter: ['30'], firstKey: '31', totalCopied: 60 });
    const keys = [...sentKeys(first.calls.map((c) => (c.method === 'applyBatch' ? c.transactions : []))), ...second.appliedChanges().map((c) => c.key)];
    expect(keys).toEqual(range(1, 60));
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done')).toMatchObject({ status: 'done', lastKey: ['60'], rowsCopied: 60, rowsTotal: 60 });
  });

  it('with calls in flight, the checkpoint never passes a call Convex did not acknowledge', async () => {
    // Call 1 fails only once calls 2 and 3 have been answered: an explicit signal, not a delay.
    let answered = 0;
    let laterCallsAnswered!: () => void;
    const whenLaterCallsAnswered = new Promise<void>((r) => (laterCallsAnswered = r));
    const target = new HookedTarget(new RecordingConvexTarget(), {
      async before(_call, i) {
        if (i === 1) {
          await whenLaterCallsAnswered;
          throw new Error('boom');
        }
      },
      async after(_call, i) {
        if ((i === 2 || i === 3) && ++answered === 2) laterCallsAnswered();
      },
    });
    // Calls 2 and 3 are answered while call 1 is still pending, then call 1 fails.
    const err = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['story_done'], batchRows: 10, callsInFlight: 4 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('boom');
    expect(target.sent.length).toBeGreaterThanOrEqual(4);
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done')).toMatchObject({ status: 'stopped', lastKey: ['10'], rowsCopied: 10, lastError: 'boom' });

    const resumed = new RecordingConvexTarget();
    const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, resumed, { config: STORY_SITE_TABLES, tables: ['story_done'], batchRows: 10 });
    expect(result.tables).toMatchObject([{ outcome: 'done', firstKey: '11', copied: 50, totalCopied: 60 }]);
    expect(resumed.appliedChanges().map((c) => c.key)).toEqual(range(11, 60));
  });

  it('status: not started, stopped with a percentage, interrupted when a running record went silent, done', async () => {
    const controller = new AbortController();
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, new RecordingConvexTarget(), { config: STORY_SITE_TABLES,
      tables: ['story_done'],
      batchRows: 15,
      callsInFlight: 1,
      signal: controller.signal,
      onProgress: (e) => e.kind === 'batch' && controller.abort(),
    });
    const [done, story] = await backfillStatus(db.pool, DEFAULT_TOOL_SCHEMA, ['story_done', 'story']);
    expect(story).toMatchObject({ table: 'story', phase: 'not started', percent: null, rowsCopied: 0 });
    expect(done).toMatchObject({ table: 'story_done', phase: 'stopped', percent: 25, rowsCopied: 15, rowsTotal: 60, checkpoint: ['15'] });
    await db.pool.query(`UPDATE tandem.backfill_state SET status = 'running', updated_at = now() - interval '3 minutes'`);
    expect((await backfillStatus(db.pool, DEFAULT_TOOL_SCHEMA, ['story_done']))[0]).toMatchObject({ phase: 'interrupted', percent: 25 });
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, new RecordingConvexTarget(), { config: STORY_SITE_TABLES, tables: ['story_done'] });
    expect((await backfillStatus(db.pool, DEFAULT_TOOL_SCHEMA, ['story_done']))[0]).toMatchObject({ phase: 'done', percent: 100, rowsCopied: 60 });
  });

  it('records rows Convex cannot hold as rejected, with the rule, and copies the rest', async () => {
    await db.pool.query(`UPDATE story SET text = repeat('x', 1100000) WHERE id = 3`);
    const target = new HookedTarget(new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR }));
    const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['story'] });
    expect(result.tables).toMatchObject([{ table: 'story', outcome: 'done', copied: 4, rejected: 1 }]);
    expect(sentKeys(target.sent, 'story')).toEqual(['1', '2', '4', '5']);
    const { rows } = await db.pool.query(`SELECT table_name, key, rule, column_name FROM tandem.backfill_rejected`);
    expect(rows).toEqual([{ table_name: 'story', key: '3', rule: 'document-size', column_name: 'text' }]);
    expect(await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story')).toMatchObject({ status: 'done', rowsCopied: 4, rowsRejected: 1, lastKey: ['5'] });
  });

  it('packs calls within --batch-bytes', async () => {
    await db.pool.query(`UPDATE story SET text = repeat('y', 100000) WHERE true`);
    const target = new RecordingConvexTarget();
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['story'], batchBytes: 256 * 1024 });
    const calls = target.calls.flatMap((c) => (c.method === 'applyBatch' ? [c.transactions[0]!.changes] : []));
    expect(calls.map((c) => c.map((x) => x.key))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(calls.every((c) => c.reduce((n, x) => n + estimateChangeBytes(x), 0) <= 256 * 1024)).toBe(true);
  });

  it('rejects options outside the limits before touching anything', async () => {
    const target = new RecordingConvexTarget();
    await expect(backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, batchRows: 0 })).rejects.toThrow(new InvalidInputError('batch-rows', 'must be a whole number from 1 to 4000, got 0'));
    await expect(backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, batchRows: 5000 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, batchBytes: 64 * 1024 * 1024 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, rate: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables: ['users'] })).rejects.toThrow(/^tables: not mirrored: users/);
    expect(target.calls).toEqual([]);
  });
});
