/**
 * Kill points (src/core/killPoints.ts): a mirrored-write process, a relay and
 * a backfill are each SIGKILLed at random named points (between a write's
 * statements, between commit and the Convex call, after a claim, mid-batch,
 * between Convex's answer and the bookkeeping, around checkpoints). After each
 * kill the work is restarted and the outcome is checked exactly: Convex equals
 * Postgres row for row, every acknowledged write is there, no write happened
 * twice, nothing is pending and nothing went to dead letters.
 *
 * CI runs a short, seeded form; `TANDEM_KILL_RUNS=120 npx vitest run
 * test/reliability/killPoints.test.ts` runs the full one (docs/testing.md), and
 * `TANDEM_KILL_SEED` picks other points.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORY_SITE_CONFIG_FILE } from '../../examples/story-site/src/app/schema.js';
import { backfill, readBackfillState } from '../../src/backfill/index.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { KILL_AT_VARIABLE, KILL_POINTS, type KillPoint } from '../../src/core/killPoints.js';
import { silentLogger } from '../../src/log.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { expectConvexEqualsPostgres, makeRelay, outboxCounts, prepareMirroredDatabase } from '../support/mirror.js';
import { seededRandom } from '../support/random.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const ADMIN_KEY = 'kill-points-admin-key';
const RUNS = Number(process.env.TANDEM_KILL_RUNS ?? 12);
const SEED = Number(process.env.TANDEM_KILL_SEED ?? 20261202);
const WRITES_PER_RUN = 6;
const root = path.resolve(import.meta.dirname, '../..');
// One backend is enough here: real PostgreSQL where there is one (CI), else PGlite.
const backends = await availableBackends();
const backend = backends.includes('postgres') ? 'postgres' : backends[0]!;

type Component = 'mirror' | 'relay' | 'backfill';

/** How many times each point is reached in one run, at most: the hit is drawn from 1..this. */
const REACH: Record<KillPoint, number> = {
  'mirror.statement': 8 * WRITES_PER_RUN,
  'mirror.beforeCommit': WRITES_PER_RUN,
  'mirror.afterCommit': WRITES_PER_RUN,
  'mirror.afterApply': WRITES_PER_RUN,
  'relay.afterClaim': 10,
  'relay.beforeApply': 10,
  'relay.afterApply': 10,
  'relay.afterComplete': 10,
  'relay.beforeRelease': 10,
  'backfill.afterRead': 6,
  'backfill.beforeApply': 6,
  'backfill.afterApply': 6,
  'backfill.afterCheckpoint': 6,
};

interface Run {
  component: Component;
  point: KillPoint;
  hit: number;
}

function planRuns(count: number, seed: number): Run[] {
  const random = seededRandom(seed);
  const components: Component[] = ['mirror', 'relay', 'backfill'];
  return Array.from({ length: count }, (_, i) => {
    const component = components[i % components.length]!;
    const points = KILL_POINTS.filter((p) => p.startsWith(`${component}.`));
    const point = points[Math.floor(random() * points.length)]!;
    return { component, point, hit: 1 + Math.floor(random() * REACH[point]) };
  });
}

interface ChildResult {
  killed: boolean;
  stdout: string;
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, stdout });
      else if (code === 0) resolve({ killed: false, stdout });
      else reject(new Error(`child ${args.join(' ')} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

describe(`kill points [${backend}]`, () => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let convexUrl: string;
  let target: HttpConvexTarget;
  let home: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-kill-points-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir: path.join(home, 'convex'), adminKey: ADMIN_KEY, logger: silentLogger });
    convexUrl = await convex.listen(0, '127.0.0.1');
    target = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: 10_000 });
    await recover();
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const cliEnv = (run: Run): NodeJS.ProcessEnv => ({
    ...process.env,
    DATABASE_URL: db.url,
    CONVEX_URL: convexUrl,
    CONVEX_DEPLOY_KEY: ADMIN_KEY,
    TANDEM_HOME: home,
    TANDEM_LOG_LEVEL: 'silent',
    TANDEM_CONFIG: STORY_SITE_CONFIG_FILE,
    [KILL_AT_VARIABLE]: `${run.point}:${run.hit}`,
  });

  /** What a team does after a crash: resume the backfill, let a relay drain (dead claims expire). */
  async function recover(): Promise<void> {
    const resumed = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, log: silentLogger });
    expect(resumed.tables.every((t) => t.rejected === 0)).toBe(true);
    const summary = await makeRelay(db.pool, target, { leaseMs: 1_000 }).drain();
    expect(summary.dead).toBe(0);
  }

  async function storyDoneIds(): Promise<number[]> {
    const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM story_done ORDER BY id');
    return rows.map((r) => r.id);
  }

  async function exerciseMirror(run: Run, index: number): Promise<ChildResult> {
    const before = new Set(await storyDoneIds());
    const result = await runChild(
      ['--import', 'tsx', 'test/reliability/children/mirrorWorkload.ts', db.url, convexUrl, ADMIN_KEY, String(index), String(WRITES_PER_RUN)],
      cliEnv(run),
    );
    const acks = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('ack '))
      .map((line) => JSON.parse(line.slice(4)) as { kind: string; id?: number; storyId?: number; name?: string });
    if (!result.killed) expect(acks).toHaveLength(WRITES_PER_RUN);
    await recover();
    // Every acknowledged insert is there once; at most the one write in flight
    // at the kill committed without being acknowledged; nothing happened twice.
    const added = (await storyDoneIds()).filter((id) => !before.has(id));
    const acked = acks.filter((a) => a.kind === 'story_done').map((a) => a.id!);
    expect(added.filter((id) => acked.includes(id))).toEqual(acked);
    expect(added.length - acked.length).toBeLessThanOrEqual(result.killed ? 1 : 0);
    // An acknowledged rename is the story's name, unless a later write of the same run replaced it.
    for (const ack of acks.filter((a) => a.kind === 'rename')) {
      const { rows } = await db.pool.query<{ name: string }>('SELECT name FROM story WHERE id = $1', [ack.storyId]);
      const later = /^run (\d+) write (\d+)$/.exec(rows[0]!.name);
      expect(later && Number(later[1]) === index && Number(later[2]) >= Number(/write (\d+)$/.exec(ack.name!)![1])).toBe(true);
    }
    return result;
  }

  async function exerciseRelay(run: Run, index: number): Promise<ChildResult> {
    // Twelve transactions of plain SQL (captured, untracked). Each inserts a row
    // of its own, so losing any of them shows in the end state, and also
    // updates or deletes rows that others touch.
    for (let i = 0; i < 12; i++) {
      const storyId = (i % 5) + 1;
      const second =
        i % 2 === 0
          ? `UPDATE story SET name = 'relay ${index}.${i}' WHERE id = ${storyId}`
          : 'DELETE FROM story_done WHERE id = (SELECT min(id) FROM story_done)';
      await db.pool.query(`BEGIN; INSERT INTO story_done (story_id, user_id) VALUES (${storyId}, NULL); ${second}; COMMIT`);
    }
    // Two events per claim: one transaction per round, twelve Convex calls.
    const result = await runChild(['bin/tandem.js', 'relay', '--once', '--claim-events', '2', '--lease-ms', '1000'], cliEnv(run));
    await recover();
    return result;
  }

  async function exerciseBackfill(run: Run): Promise<ChildResult> {
    // Rows written with triggers off have no outbox events: only the backfill brings them to Convex.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('INSERT INTO story_done (story_id, user_id) SELECT (g % 5) + 1, NULL FROM generate_series(1, 60) g');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const result = await runChild(
      ['bin/tandem.js', 'backfill', '--tables', 'story_done', '--restart', '--batch-rows', '10', '--calls-in-flight', '1'],
      cliEnv(run),
    );
    await recover();
    expect((await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done'))?.status).toBe('done');
    return result;
  }

  it(
    `${RUNS} seeded kills (seed ${SEED}) lose nothing and apply nothing twice`,
    async () => {
      const runs = planRuns(RUNS, SEED);
      const outcomes: string[] = [];
      for (const [index, run] of runs.entries()) {
        const result =
          run.component === 'mirror'
            ? await exerciseMirror(run, index)
            : run.component === 'relay'
              ? await exerciseRelay(run, index)
              : await exerciseBackfill(run);
        outcomes.push(`${run.point}:${run.hit} ${result.killed ? 'killed' : 'not reached'}`);
        // The exact end state after every kill, not only at the end.
        expect(await outboxCounts(db.pool), `${run.point}:${run.hit}`).toEqual({ done: expect.any(Number) });
        const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.dead_letter');
        expect(rows[0]!.n).toBe(0);
        await expectConvexEqualsPostgres(db.pool, target);
      }
      // Most draws must really kill, or the test would prove nothing.
      const killed = outcomes.filter((o) => o.endsWith('killed')).length;
      console.info(`kill points: ${killed} of ${RUNS} runs killed (seed ${SEED})`);
      expect(killed, outcomes.join('\n')).toBeGreaterThanOrEqual(Math.ceil(RUNS * 0.6));
    },
    RUNS * 20_000 + 60_000,
  );
});
