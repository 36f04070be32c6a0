/**
 * The main job end to end (short traffic phase): it reaches its summary, every
 * table is mirrored with zero drift and zero lag, the invariants hold in both
 * stores, and the raw-SQL writes show up as untracked. The demo (startDemo) is
 * the CLI's, not part of the public API, so its test is the tool's, with the
 * story site as the application it runs. `--to-the-end` runs through the
 * compiled CLI and is checked in the end state the demo's PGlite serves.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoOptions, type RunningDemo } from '../../src/cli/demo/runDemo.js';
import { APP_TABLES, loadStorySiteConfig } from '../../examples/story-site/src/app/schema.js';
import { requireApplication } from '../../src/application/loadApplication.js';
import { silentLogger } from '../../src/log.js';
import { ROLLBACK_POLICY, autoRollbackOnDeadLetter } from '../support/rollbackRulesServed.js';
import { startTandemUntil } from '../support/cliRun.js';
import { STORY_SITE_GROUP_ORDER } from '../support/storySiteTables.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The demo on the story site at a small scale, its plug-in loaded as the CLI loads it (named by the config). */
async function startStorySiteDemo(home: string, output: string[], extra: Partial<DemoOptions> = {}): Promise<RunningDemo> {
  const project = await loadStorySiteConfig();
  const application = await requireApplication(project, 'demo', ['sample', 'http', 'demoTraffic']);
  return startDemo({
    home,
    project,
    application,
    scale: 0.01,
    seed: 3,
    rounds: 1,
    host: '127.0.0.1',
    pgPort: 0,
    apiPort: 0,
    convexPort: 0,
    mirrorWaitMs: 200,
    log: silentLogger,
    out: (text) => output.push(text),
    ...extra,
  });
}

describe('tandem demo [pglite]', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-demo-'));
  let demo: RunningDemo | undefined;
  afterAll(async () => {
    await demo?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs to its summary with zero drift', async () => {
    const output: string[] = [];
    // With a read rollback rule in the config (checked after the summary); no table leaves postgres before then.
    const project = await loadStorySiteConfig();
    demo = await startStorySiteDemo(home, output, { project: { ...project, cutover: { ...project.cutover, rollback: ROLLBACK_POLICY } } });
    const { tables, parity, invariants, traffic } = demo.summary;
    expect(traffic.unexpected).toEqual([]);
    expect(traffic.requests).toBe(28);
    expect(tables.map((t) => t.table)).toEqual([...APP_TABLES]);
    for (const t of tables) {
      expect({ table: t.table, convexRows: t.convexRows, pending: t.pending, drift: t.drift }).toEqual({
        table: t.table,
        convexRows: t.pgRows,
        pending: 0,
        drift: 0,
      });
    }
    expect(parity.clean).toBe(true);
    expect(invariants).toEqual({ postgres: [], convex: [], clean: true });
    expect(Object.fromEntries(tables.filter((t) => t.untracked > 0).map((t) => [t.table, t.untracked]))).toEqual({
      avatar: 1,
      localization: 1,
      story_done: 3,
    });
    // Capture on and backfill done: every table is backfilled, its idempotency drill
    // passed and its alert rules are on (the built-in ones), so the next unmet gate
    // is parity green for seven days.
    expect(tables.map((t) => `${t.table} ${t.phase} ${t.nextGate}`)).toEqual(
      APP_TABLES.map((t) => `${t} backfilled parity-green`),
    );
    const text = output.join('');
    // The printed summary: a phase and a next gate column, each table's row ending with both.
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('table '))).toMatch(/ {2}phase {7}next gate$/);
    const rows = lines.filter((l) => APP_TABLES.some((t) => l.startsWith(`${t} `)));
    expect(rows.map((l) => [l.split(/ +/)[0], ...l.split(/ +/).slice(-2)].join(' '))).toEqual(
      APP_TABLES.map((t) => `${t} backfilled parity-green`),
    );
    expect(text).toContain('parity: clean, zero drift; invariants: all 6 hold in Postgres and Convex');
    const health = await fetch(demo.summary.urls.metrics);
    expect(await health.text()).toContain('tandem_outbox_pending 0');
    // The control room's page, at the URL the demo prints.
    expect(text).toContain(`Control room: ${demo.summary.urls.dashboard}`);
    const page = await fetch(demo.summary.urls.dashboard);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/dashboard/main.js"></script>');
  }, 180_000); // the whole demo (sample, capture, backfill, live writes, parity) on a shared CI machine

  it('runs the config\'s read rollback rules in the stack it serves', async () => {
    expect(demo).toBeDefined();
    expect(await autoRollbackOnDeadLetter(demo!.summary.urls.postgres)).toEqual([{ rule: 'deadLetters', from: 'shadow', to: 'postgres' }]);
  });

  it('hands the config\'s shadow settings to the application it serves: a sample rate for a read it does not have refuses the demo', async () => {
    const project = await loadStorySiteConfig();
    const refusedHome = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-demo-refused-'));
    try {
      await expect(
        startStorySiteDemo(refusedHome, [], {
          project: { ...project, cutover: { ...project.cutover, shadow: { sampleRates: { languageByID: 0.5 } } } },
        }),
      ).rejects.toThrow('sampleRate.languageByID: names no read method of this spec (none in its tables)');
    } finally {
      fs.rmSync(refusedHome, { recursive: true, force: true });
    }
  }, 180_000);
});

/*
 * Through the compiled CLI, as `npm start -- --to-the-end` runs it. Once it
 * serves, its PGlite (the wire-protocol URL it prints) holds the end state.
 */
describe('tandem demo --to-the-end [pglite]', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-demo-end-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('takes every write group, in dependency order, to Convex and every table to decommissioned, checked at each step', async () => {
    const config = path.join(REPO, 'examples/story-site/tandem.config.json');
    const started = startTandemUntil(
      ['--config', config, 'demo', '--to-the-end', '--scale', '0.01', '--seed', '3', '--rounds', '1', '--port', '0', '--pg-port', '0', '--convex-port', '0'],
      { cwd: REPO, env: { ...process.env, TANDEM_HOME: home, TANDEM_LOG_LEVEL: 'warn', TANDEM_CONFIG: '' } },
      /Serving until Ctrl-C/,
    );
    child = started.child;
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    await started.matched;
    const groups = STORY_SITE_GROUP_ORDER;
    expect(text).toContain(`write groups in dependency order: ${groups.join(' → ')}\n`);
    // The demo prints each request answered otherwise than expected under its step.
    expect(text.split('\n').filter((l) => /^ {2}(GET|PUT|POST|DELETE) /.test(l)), 'unexpected answers').toEqual([]);
    // One line per step: reads, each group's writes, the round written in Convex, each group retired.
    const steps = text.split('\n').filter((l) => /^\[\d+\] /.test(l));
    expect(steps.map((l) => l.replace(/^\[(\d+)\] (.*?)( \(paused \d+ ms.*?\))?(: .*)?$/, '$1 $2'))).toEqual([
      '1 reads of all 10 tables on Convex',
      ...groups.map((g, i) => `${i + 2} writes of ${g} on Convex`),
      `9 ${text.match(/^\[9\] (\d+) more requests/m)?.[1]} more requests (0 unexpected answers), every write made in Convex and kept in step in Postgres by reverse sync`,
      ...groups.map((g, i) => `${i + 10} ${g} frozen, archived (restore verified) and retired`),
    ]);
    // Every check after every step: zero drift over what Postgres still keeps, invariants hold.
    for (const line of steps)
      expect(line, line).toMatch(/: (zero drift in \d+ table\(s\)|no table left in Postgres to compare); invariants hold in (Postgres and Convex|Convex)$/);
    expect(steps.at(-1)).toMatch(/: no table left in Postgres to compare; invariants hold in Convex$/);
    expect(text).toContain('10 of 10 tables decommissioned');
    const url = text.match(/^Postgres: (\S+)$/m)![1]!;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const writes = await client.query(`SELECT name, stage FROM tandem.write_group ORDER BY name`);
      expect(writes.rows).toEqual([...groups].sort().map((name) => ({ name, stage: 'convex' })));
      const reads = await client.query(`SELECT table_name, stage FROM tandem.read_flag ORDER BY table_name`);
      expect(reads.rows).toEqual([...APP_TABLES].sort().map((table_name) => ({ table_name, stage: 'convex' })));
      const phases = await client.query(`SELECT table_name, phase FROM tandem.table_phase ORDER BY table_name`);
      expect(phases.rows).toEqual([...APP_TABLES].sort().map((table_name) => ({ table_name, phase: 'decommissioned' })));
      const retired = await client.query(
        `SELECT table_schema, count(*)::int AS n FROM information_schema.tables
          WHERE table_name = ANY($1) GROUP BY table_schema`,
        [[...APP_TABLES]],
      );
      expect(retired.rows).toEqual([{ table_schema: 'tandem_retired', n: APP_TABLES.length }]);
      // The round after the cutover wrote in Convex; reverse sync brought those rows back.
      const reverse = await client.query(`SELECT applied::int AS n FROM tandem.reverse_sync_state`);
      expect(reverse.rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  }, 420_000);
});
