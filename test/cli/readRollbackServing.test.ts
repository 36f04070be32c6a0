/**
 * The read cutover in the stack `tandem serve`, `dev` and `demo` serve
 * (startApiStack, with the story site's plug-in), on a fresh database of each
 * backend:
 *
 * - automatic rollback under Convex read failures injected by the local
 *   stand-in (`tandem convex-local --query-fail-rate 1`, a child process): a
 *   table at `convex` with a rule on the Convex read error rate goes back to
 *   `postgres` once the rule's `for` has passed, the audit row names the rule
 *   and the values it saw, /metrics counts it, and every read is answered
 *   from Postgres throughout;
 * - shadow reads of the served site reach `tandem shadow report` (the CLI,
 *   another process) with exact counts.
 *
 * startApiStack is the CLI's, not part of the public API: a test of the tool,
 * serving the story site through its public plug-in interface.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStackOptions, type RunningApi } from '../../src/cli/apiStack.js';
import type { RollbackPolicy } from '../../src/config/projectConfig.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';
import { listReadStages, readStageHistory, setReadStage } from '../../src/cutover/flagStore.js';
import { silentLogger } from '../../src/log.js';
import { refusedCli, runTandem, startConvexLocal, startTandemUntil } from '../support/cliRun.js';
import { shadowReport } from '../../src/cutover/shadowStore.js';
import { metricSamples as samples } from '../support/metricsText.js';
import { writeStorySiteConfig } from '../support/rollbackRulesServed.js';
import { waitFor } from '../support/services.js';
import { convexSideFor, writePathsDatabase } from '../support/convexWrites.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { STORY_SITE_TABLE_NAMES } from '../support/storySiteMirror.js';
import storySite from '../../examples/story-site/src/plugin.js';
import { TOKENS } from '../../examples/story-site/test/api/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const ADMIN_KEY = 'read-rollback-admin-key-0123456789';
/** GET /api/languages/:id reads the `language` table only (READ_PATH_TABLES.languageById). */
const TABLE = 'language';
const FAILING_READS = 6;
const RULE = { threshold: 0.5, forMs: 1000, minSamples: 5 };
const POLICY: RollbackPolicy = { default: {}, tables: { [TABLE]: { convexReadErrorRate: RULE } }, windowSeconds: 60 };

const stageOf = async (db: TestDatabase, table: string) =>
  (await listReadStages(db.pool, TOOL, [table])).find((s) => s.table === table)?.stage;

/** The serving stack with the story site, reads routed to `convex`. */
const startStack = (db: TestDatabase, convex: ApiStackOptions['convex'], rollback?: ApiStackOptions['rollback'], shadow?: ApiStackOptions['shadow']) =>
  startApiStack({
    tool: TOOL,
    pool: db.pool,
    application: storySite,
    tokens: TOKENS,
    logger: silentLogger,
    port: 0,
    host: '127.0.0.1',
    convex,
    rollback,
    shadow,
  });

const getLanguage = async (api: RunningApi) => {
  const res = await fetch(`${api.url}/api/languages/1`);
  return { status: res.status, source: res.headers.get('tandem-read-source'), body: (await res.json()) as unknown };
};

describe.each(await availableBackends())('read cutover in the serving stack [%s]', (backend) => {
  let db: TestDatabase;
  let standIn: ChildProcess | undefined;
  let standInUrl: string | undefined;
  let dataDir: string;

  beforeAll(async () => {
    db = await writePathsDatabase(backend);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-read-rollback-'));
  }, 120_000);

  afterAll(async () => {
    standIn?.kill('SIGKILL');
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('rolls a table at convex back to postgres when the stand-in fails its reads, audited, counted, reads answered by Postgres', async () => {
    const started = startConvexLocal({
      cwd: path.join(root, 'examples/story-site'),
      env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
      adminKey: ADMIN_KEY,
      dataDir,
      args: ['--query-fail-rate', '1'],
    });
    standIn = started.child;
    standInUrl = await started.url;
    const convex = new HttpConvexTarget({ url: standInUrl, adminKey: ADMIN_KEY });
    await setReadStage(db.pool, TOOL, STORY_SITE_TABLE_NAMES, { table: TABLE, stage: 'convex', why: 'test', actor: 'test', force: true });
    const api = await startStack(db, convex, { policy: POLICY, tables: STORY_SITE_TABLE_NAMES });
    try {
      const expected = await db.pool.query<{ name: string }>('SELECT name FROM language WHERE id = 1');
      const firstFailure = Date.now();
      for (let i = 0; i < FAILING_READS; i++) {
        const read = await getLanguage(api);
        // Convex failed; Postgres answered.
        expect(read).toMatchObject({ status: 200, source: 'postgres', body: { name: expected.rows[0]!.name } });
      }
      await waitFor('the rollback', async () => (await stageOf(db, TABLE)) === 'postgres', 10_000);
      const rolledBack = Date.now();

      const history = await readStageHistory(db.pool, TOOL, TABLE);
      const trip = history.find((h) => h.actor === 'tandem auto-rollback')!;
      expect(trip).toMatchObject({
        table: TABLE,
        from: { stage: 'convex' },
        to: { stage: 'postgres' },
        rule: 'convexReadErrorRate',
        detail: { value: 1, samples: FAILING_READS, threshold: RULE.threshold, forMs: RULE.forMs },
      });
      // The breach had to last the rule's `for`; the monitor acts on it within a tick (250 ms) and a round trip.
      const tripAt = new Date(trip.at).getTime();
      expect(tripAt - firstFailure).toBeGreaterThanOrEqual(RULE.forMs - 50);
      expect(rolledBack - firstFailure).toBeLessThan(RULE.forMs + 5000);

      // The process's stages follow at once: now Postgres is asked first, Convex not at all.
      const after = await getLanguage(api);
      expect(after).toMatchObject({ status: 200, source: 'postgres' });
      const text = await (await fetch(`${api.url}/metrics`)).text();
      expect(samples(text, 'tandem_read_rollbacks_total')).toEqual([`{table="${TABLE}",rule="convexReadErrorRate"} 1`]);
      expect(samples(text, 'tandem_convex_read_errors_total')).toEqual([`{table="${TABLE}"} ${FAILING_READS}`]);
      expect(samples(text, 'tandem_reads_total')).toEqual([`{table="${TABLE}",source="postgres"} ${FAILING_READS + 1}`]);
      expect(samples(text, 'tandem_read_stage')).toEqual([`{table="${TABLE}"} 0`]);
    } finally {
      await api.app.close();
    }
  }, 120_000);

  it('`tandem serve` runs the config\'s rollback rules: the table at convex is back at postgres after failing reads', async () => {
    expect(standInUrl).toBeDefined();
    const configFile = writeStorySiteConfig(dataDir, {
      rollback: { tables: { [TABLE]: { convexReadErrorRate: { threshold: RULE.threshold, for: '1s', minSamples: RULE.minSamples } } } },
    });
    await setReadStage(db.pool, TOOL, STORY_SITE_TABLE_NAMES, { table: TABLE, stage: 'convex', why: 'again', actor: 'test', force: true });
    const serve = startTandemUntil(['serve', '--port', '0'], {
      cwd: dataDir,
      env: {
        ...process.env,
        TANDEM_LOG_LEVEL: 'silent',
        TANDEM_CONFIG: configFile,
        DATABASE_URL: db.url,
        CONVEX_URL: standInUrl,
        CONVEX_DEPLOY_KEY: ADMIN_KEY,
      },
    }, /API on (http:\S+)/);
    try {
      const url = (await serve.matched)[1]!;
      for (let i = 0; i < FAILING_READS; i++) {
        const res = await fetch(`${url}/api/languages/1`);
        expect([res.status, res.headers.get('tandem-read-source')]).toEqual([200, 'postgres']);
      }
      await waitFor('the rollback by tandem serve', async () => (await stageOf(db, TABLE)) === 'postgres', 10_000);
      const trips = (await readStageHistory(db.pool, TOOL, TABLE)).filter((h) => h.actor === 'tandem auto-rollback');
      expect(trips).toHaveLength(2);
      expect(trips.map((t) => [t.rule, t.detail])).toEqual(
        Array(2).fill(['convexReadErrorRate', { value: 1, samples: FAILING_READS, threshold: RULE.threshold, forMs: RULE.forMs }]),
      );
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(samples(text, 'tandem_read_rollbacks_total')).toEqual([`{table="${TABLE}",rule="convexReadErrorRate"} 1`]);
    } finally {
      serve.child.kill('SIGTERM');
    }
  }, 120_000);

  it('a rollback rule for a table that is not mirrored refuses the start, naming it', async () => {
    const convex = new HttpConvexTarget({ url: 'http://127.0.0.1:9', adminKey: ADMIN_KEY });
    const policy: RollbackPolicy = { ...POLICY, tables: { nope: { convexReadErrorRate: RULE } } };
    const before = await readStageHistory(db.pool, TOOL);
    await expect(startStack(db, convex, { policy, tables: STORY_SITE_TABLE_NAMES })).rejects.toThrow(`cutover.rollback.tables.nope: not a mirrored table (known: ${STORY_SITE_TABLE_NAMES.join(', ')})`);
    expect(await readStageHistory(db.pool, TOOL)).toEqual(before);
  });

  it('shadow reads of the served site reach `tandem shadow report` with exact counts', async () => {
    let convex: EmbeddedConvexTarget | undefined;
    let api: RunningApi | undefined;
    try {
      convex = await convexSideFor(db.pool);
      await setReadStage(db.pool, TOOL, STORY_SITE_TABLE_NAMES, { table: TABLE, stage: 'shadow', why: 'test', actor: 'test' });
      api = await startStack(db, convex);
      const READS = 4;
      for (let i = 0; i < READS; i++) expect(await getLanguage(api)).toMatchObject({ status: 200, source: 'postgres' });
      const report = async () =>
        JSON.parse((await runTandem(dataDir, db.url, ['shadow', 'report', '--json'])).stdout) as {
          tables: Record<string, { compared: number }>;
        };
      await waitFor('the comparisons to be written', async () => (await report()).tables[TABLE]?.compared === READS, 30_000);
      expect((await report()).tables).toEqual({
        [TABLE]: { compared: READS, match: READS, lag: 0, drift: 0, error: 0, skipped: 0, samples: [] },
      });
    } finally {
      await api?.app.close();
      await convex?.close();
    }
  }, 120_000);

  it('the config\'s shadow sample rates, budget and share reach the story site\'s read paths: only the path given a share is compared, within both bounds', async () => {
    let convex: EmbeddedConvexTarget | undefined;
    let api: RunningApi | undefined;
    try {
      convex = await convexSideFor(db.pool);
      await db.pool.query(`TRUNCATE ${TOOL.sql}.shadow_count, ${TOOL.sql}.shadow_sample`);
      for (const table of [TABLE, 'localization'])
        if ((await stageOf(db, table)) !== 'shadow')
          await setReadStage(db.pool, TOOL, STORY_SITE_TABLE_NAMES, { table, stage: 'shadow', why: 'test', actor: 'test', force: true });
      // No read compared by default; languageById (GET /api/languages/:id) always, within a budget of one per 10 s
      // and a quarter of all reads routed (the localization reads, never compared, fill that share too).
      api = await startStack(db, convex, undefined, { sampleRate: 0, sampleRates: { languageById: 1 }, maxPerSecond: 0.1, maxShare: 0.25 });
      const READS = 4;
      for (let i = 0; i < READS; i++) {
        expect(await getLanguage(api)).toMatchObject({ status: 200, source: 'postgres' });
        expect((await fetch(`${api.url}/api/languages/1/localization`)).status).toBe(200);
      }
      const metricsText = await (await fetch(`${api.url}/metrics`)).text();
      // Read 1 compared; read 2 finds half a share; reads 3 and 4 find a full share but no budget.
      expect(samples(metricsText, 'tandem_shadow_skipped_total')).toEqual([
        `{table="${TABLE}",reason="budget"} 2`,
        `{table="${TABLE}",reason="share"} 1`,
      ]);
      await api.app.close();
      api = undefined;
      const { tables } = await shadowReport(db.pool, TOOL);
      expect(Object.fromEntries(Object.entries(tables).map(([t, r]) => [t, r.compared]))).toEqual({ [TABLE]: 1 });
    } finally {
      await api?.app.close();
      await convex?.close();
    }
  }, 120_000);

  it('a shadow sample rate for a read the application does not have refuses the start, in the stack and in `tandem serve`', async () => {
    const convex = new HttpConvexTarget({ url: 'http://127.0.0.1:9', adminKey: ADMIN_KEY });
    await expect(startStack(db, convex, undefined, { sampleRates: { languageByID: 0.5 } })).rejects.toThrow(
      'sampleRate.languageByID: names no read method of this spec (none in its tables)',
    );
    const configFile = writeStorySiteConfig(dataDir, { shadow: { sampleRates: { languageByID: 0.5 } } });
    const refused = await refusedCli(['serve', '--port', '0'], {
      cwd: dataDir,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'silent', TANDEM_CONFIG: configFile, DATABASE_URL: db.url, CONVEX_URL: 'http://127.0.0.1:9', CONVEX_DEPLOY_KEY: ADMIN_KEY },
      timeout: 60_000,
    });
    expect({ code: refused.code, stderr: refused.stderr.trim() }).toEqual({ code: 2, stderr: 'tandem: sampleRate.languageByID: names no read method of this spec (none in its tables)' });
  }, 120_000);
});
