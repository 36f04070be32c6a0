/**
 * The relay against real captured events: transactions land whole, failures
 * are retried until Convex equals Postgres, unrepresentable values go to dead
 * letters without blocking anything else, and two relays share one outbox.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import * as writes from '../../examples/story-site/src/app/writes/index.js';
import { StaticUserDirectory } from '../../examples/story-site/src/app/userDirectory.js';
import type { AppDeps } from '../../examples/story-site/src/app/ports.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { RecordingConvexTarget } from '../../src/convex/recordingTarget.js';
import { silentLogger } from '../../src/log.js';
import { createPool } from '../../src/postgres/database.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { MirrorRunner } from '../../src/relay/mirrorRunner.js';
import { listDeadLetters, retryDeadLetters, discardDeadLetter } from '../../src/outbox/deadLetters.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { USER_NAMES, admin, editor } from '../support/appFixture.js';
import { seededRandom } from '../support/random.js';
import { FlakyTarget, expectConvexEqualsPostgres, makeRelay, outboxCounts, prepareMirroredDatabase } from '../support/mirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();


describe.each(backends)('relay [%s]', (backend) => {
  let db: TestDatabase;
  const opened: TestDatabase[] = [];

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    opened.push(db);
    await prepareMirroredDatabase(db.pool);
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
  });

  function mirroredDeps(target: RecordingConvexTarget | EmbeddedConvexTarget | FlakyTarget): AppDeps {
    const relay = makeRelay(db.pool, target);
    const runner = new MirrorRunner(db.pool, relay, createRelayMetrics(), silentLogger, { tool: DEFAULT_TOOL_SCHEMA, waitMs: 0 });
    return { pool: db.pool, runner, users: new StaticUserDirectory(USER_NAMES) };
  }

  it('applies one Postgres transaction that changes a story and its course in one Convex mutation', async () => {
    const target = new RecordingConvexTarget({ delegate: new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR }) });
    await makeRelay(db.pool, target).drain();
    target.calls.length = 0;

    await writes.togglePublished(mirroredDeps(target), admin(9), { id: 2 });
    const { rows } = await db.pool.query<{ txid: string; tables: string[] }>(
      `SELECT txid::text AS txid, array_agg(table_name ORDER BY seq) AS tables FROM tandem.outbox
        WHERE status = 'pending' GROUP BY txid`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tables).toEqual(['story', 'course']);

    const summary = await makeRelay(db.pool, target).drain();
    expect(summary).toEqual({ applied: 2, retried: 0, dead: 0 });
    const applyCalls = target.calls.filter((c) => c.method === 'applyBatch');
    expect(applyCalls).toHaveLength(1);
    const call = applyCalls[0]!;
    expect(call.method === 'applyBatch' && call.transactions.map((t) => [t.txid, t.changes.map((c) => `${c.table}:${c.key}`)])).toEqual([
      [rows[0]!.txid, ['story:2', 'course:1']],
    ]);
    await expectConvexEqualsPostgres(db.pool, target);
  });

  it('converges with zero dead letters when a third of apply calls fail', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const flaky = new FlakyTarget(embedded, 0.3, seededRandom(7));
    const deps = mirroredDeps(flaky);
    await writes.toggleApproval(deps, editor(1), { story_id: 1 });
    await writes.toggleApproval(deps, editor(2), { story_id: 1 });
    await writes.saveStory(deps, editor(3), { id: 2, duo_id: 'd2', course_id: 2, set_id: 1, set_index: 1, todo_count: 4 });
    await writes.recordStoryDone(deps, { userId: null, role: 'anonymous' }, { story_id: 3 });
    await writes.saveLanguage(deps, admin(9), { id: 1, name: 'Inglés', short: 'en' });
    await db.pool.query(`UPDATE story SET name = 'raw' WHERE id = 4; DELETE FROM story_done; INSERT INTO avatar (link) VALUES ('x')`);
    // Small claims: many apply calls, so the failure rate really bites.
    const summary = await makeRelay(db.pool, flaky, { workers: 2, claimEvents: 2 }).drain();
    expect(summary.dead).toBe(0);
    expect(flaky.failures).toBeGreaterThan(0);
    expect(await outboxCounts(db.pool)).toEqual({ done: expect.any(Number) });
    expect((await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).length).toBe(0);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('sends an unrepresentable value to dead letters with its reason, and applies everything else', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await makeRelay(db.pool, embedded).drain();
    // 1.2 M characters: more than a Convex document may hold, written behind the helper's back.
    await db.pool.query(`UPDATE story SET text = repeat('x', 1200000) WHERE id = 3`);
    await db.pool.query(`UPDATE story SET name = 'after' WHERE id = 4`);
    const summary = await makeRelay(db.pool, embedded).drain();
    expect(summary).toEqual({ applied: 1, retried: 0, dead: 1 });
    const dead = await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(dead.map((d) => ({ table: d.table, key: d.key, rule: d.rule, column: d.column }))).toEqual([
      { table: 'story', key: '3', rule: 'document-size', column: 'text' },
    ]);
    expect(dead[0]!.reason).toContain('story 3.text');
    const story4 = await embedded.exportPage('story', null, 100);
    expect(story4.page.find((r) => r.key === '4')!.columns.name).toBe('after');

    // The row is fixed by a newer write; the operator discards the dead change.
    await db.pool.query(`UPDATE story SET text = 'short again' WHERE id = 3`);
    expect(await makeRelay(db.pool, embedded).drain()).toEqual({ applied: 1, retried: 0, dead: 0 });
    await discardDeadLetter(db.pool, DEFAULT_TOOL_SCHEMA, dead[0]!.id, 'test', 'superseded');
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    expect((await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA, { includeResolved: true })).map((d) => d.resolution)).toEqual(['discarded']);
    await expect(discardDeadLetter(db.pool, DEFAULT_TOOL_SCHEMA, dead[0]!.id, 'test')).rejects.toThrow(/not found/);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('dead-letters events whose retry budget is spent, and applies them once retried', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await makeRelay(db.pool, embedded).drain();
    await db.pool.query(`UPDATE language SET name = 'Deutsch (DE)' WHERE id = 3`);
    await db.pool.query(`INSERT INTO avatar (link, name) VALUES ('https://example.org/z.png', 'Zed')`);
    // The function fails for this payload (not an outage): each failure spends an attempt.
    const down = new FlakyTarget(embedded, 1, Math.random, () => new Error('Uncaught Error: applyBatch threw'));
    const exhausted = await makeRelay(db.pool, down, {
      retry: { budget: 3, baseDelayMs: 1, maxDelayMs: 5 },
      breaker: { failureThreshold: 1_000, cooldownMs: 10 },
    }).drain();
    expect(exhausted).toEqual({ applied: 0, retried: 4, dead: 2 });
    const dead = await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(dead.map((d) => [d.table, d.attempts, d.reason.startsWith('retry budget of 3 spent')])).toEqual([
      ['language', 3, true],
      ['avatar', 3, true],
    ]);
    expect(await retryDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA, 'all', 'test')).toEqual(dead.map((d) => d.id));
    expect(await makeRelay(db.pool, embedded).drain()).toEqual({ applied: 2, retried: 0, dead: 0 });
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('waits out an outage with the circuit breaker instead of spending the retry budget', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await db.pool.query(`UPDATE language SET name = 'English (UK)' WHERE id = 1`);
    // The outage lasts for four calls (twice the retry budget), however long they take:
    // a state, not a timer racing the breaker's cooldown.
    const OUTAGE_CALLS = 4;
    const outage = new FlakyTarget(embedded, 1);
    const target = {
      kind: 'recording' as const,
      applyBatch: (t: Parameters<EmbeddedConvexTarget['applyBatch']>[0]) =>
        outage.failures < OUTAGE_CALLS ? outage.applyBatch(t) : embedded.applyBatch(t),
      exportPage: embedded.exportPage.bind(embedded),
    };
    const relay = makeRelay(db.pool, target, {
      retry: { budget: 2, baseDelayMs: 1, maxDelayMs: 5 },
      breaker: { failureThreshold: 1, cooldownMs: 30 },
    });
    const summary = await relay.drain();
    expect(summary.dead).toBe(0);
    expect(outage.failures).toBe(OUTAGE_CALLS);
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('two relays on one outbox apply every event exactly once', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const deps = mirroredDeps(embedded);
    for (let i = 0; i < 30; i++) await writes.recordStoryDone(deps, { userId: (i % 5) + 1, role: 'reader' }, { story_id: (i % 5) + 1 });
    await db.pool.query(`INSERT INTO story_done (story_id, user_id) SELECT (g % 5) + 1, NULL FROM generate_series(1, 200) g`);
    const secondPool = createPool(db.url, 5);
    try {
      const a = new RecordingConvexTarget({ delegate: embedded, latencyMs: 5 });
      const b = new RecordingConvexTarget({ delegate: embedded, latencyMs: 5 });
      const small = { claimEvents: 20, workers: 2 };
      const [ra, rb] = await Promise.all([makeRelay(db.pool, a, small).drain(), makeRelay(secondPool, b, small).drain()]);
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.outbox');
      expect(ra.applied + rb.applied).toBe(rows[0]!.n);
      const applied = [...a.calls, ...b.calls]
        .filter((c) => c.method === 'applyBatch' && c.error === undefined)
        .flatMap((c) => (c.method === 'applyBatch' ? c.transactions.flatMap((t) => t.changes.map((ch) => ch.version)) : []));
      expect(applied.length).toBe(rows[0]!.n);
      expect(new Set(applied).size).toBe(applied.length);
      expect(await outboxCounts(db.pool)).toEqual({ done: rows[0]!.n });
    } finally {
      await secondPool.end();
    }
    await expectConvexEqualsPostgres(db.pool, embedded);
  });
});
