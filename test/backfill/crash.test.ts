/**
 * `tandem backfill` as a separate process, killed with SIGKILL at a kill point
 * in the middle of a table, then resumed: it continues from its checkpoint (it does not start
 * over), and Convex ends with every row exactly once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, readBackfillState } from '../../src/backfill/index.js';
import { HttpConvexTarget, RecordingConvexTarget } from '../../src/convex/index.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { KILL_AT_VARIABLE } from '../../src/core/killPoints.js';
import { silentLogger } from '../../src/log.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { convexState, postgresState } from '../support/mirror.js';
import { prepareBackfillDatabase, resetBackfill } from './fixture.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONFIG_FILE } from '../../examples/story-site/src/app/schema.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const ADMIN_KEY = 'backfill-crash-admin-key';
const ROWS = 400;
const root = path.resolve(import.meta.dirname, '../..');
const backends = await availableBackends();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.each(backends)('backfill process killed mid-table [%s]', (backend) => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let convexUrl: string;
  let home: string;

  const env = () => ({
    ...process.env,
    DATABASE_URL: db.url,
    CONVEX_URL: convexUrl,
    CONVEX_DEPLOY_KEY: ADMIN_KEY,
    TANDEM_HOME: home,
    TANDEM_LOG_LEVEL: 'silent',
    TANDEM_CONFIG: STORY_SITE_CONFIG_FILE,
  });
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawn(process.execPath, ['bin/tandem.js', ...args], { cwd: root, env: { ...env(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = (args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      const child = cli(args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareBackfillDatabase(db.pool);
    await resetBackfill(db.pool, ROWS);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-backfill-crash-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir: path.join(home, 'convex'), adminKey: ADMIN_KEY, logger: silentLogger });
    convexUrl = await convex.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('resumes from its checkpoint after SIGKILL: no row missing or duplicated, and it does not start over', async () => {
    // Killed right after its fifth checkpoint (a kill point, src/core/killPoints.ts),
    // with the sixth call possibly applied in Convex but not checkpointed.
    const child = cli(['backfill', '--tables', 'story_done', '--batch-rows', '20'], { [KILL_AT_VARIABLE]: 'backfill.afterCheckpoint:5' });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');

    const killed = (await readBackfillState(db.pool, DEFAULT_TOOL_SCHEMA, 'story_done'))!;
    expect(killed.status).toBe('running');
    expect(killed.rowsCopied).toBe(100);
    expect(killed.lastKey).toEqual(['100']);
    const status = JSON.parse((await run(['status', '--json'])).stdout) as { tables: Array<{ table: string; backfill: { phase: string; rowsCopied: number } }> };
    expect(status.tables.find((t) => t.table === 'story_done')!.backfill).toMatchObject({ phase: 'running', rowsCopied: killed.rowsCopied });

    const http = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: 10_000 });
    const recorder = new RecordingConvexTarget({ delegate: http });
    const resumed = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, recorder, { config: STORY_SITE_TABLES, tables: ['story_done'], batchRows: 20 });
    const next = killed.rowsCopied + 1;
    expect(resumed.tables).toMatchObject([
      { table: 'story_done', outcome: 'done', resumedAfter: killed.lastKey, firstKey: String(next), copied: ROWS - killed.rowsCopied, totalCopied: ROWS },
    ]);
    expect(recorder.appliedChanges().map((c) => c.key)).toEqual(range(next, ROWS));

    const keys: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await http.exportPage('story_done', cursor, 150);
      keys.push(...page.page.map((r) => r.key));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(keys.map(Number).sort((a, b) => a - b)).toEqual(range(1, ROWS).map(Number));
    expect((await convexState(http)).story_done).toEqual((await postgresState(db.pool)).story_done);
  });

  it('the CLI skips a finished table, reports it in status, and refuses a table without capture', async () => {
    const again = await run(['backfill', '--tables', 'story_done']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('tandem backfill: story_done already done\n');
    expect(again.stdout.split('\n')[1]).toMatch(/^story_done\s+skipped\s+0\s+0\s+0\s+400\s+0\.0\s+-$/);

    const status = await run(['status']);
    expect(status.code).toBe(0);
    const line = status.stdout.split('\n').find((l) => l.startsWith('story_done'));
    expect(line).toMatch(/^story_done\s+enabled\s+done\s+400\s+0\s+-$/);
    expect(status.stdout.split('\n')[0]).toMatch(/^table\s+capture\s+backfill\s+rows copied\s+outbox pending\s+lag$/);

    await db.pool.query(`DROP TRIGGER tandem_capture ON story`);
    const refused = await run(['backfill', '--tables', 'story']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('capture is not installed on story (absent)');
    expect(refused.stdout).toBe('');
  });
});
