/**
 * The main job end to end (short traffic phase): it reaches its summary, every
 * table is mirrored with zero drift and zero lag, the invariants hold in both
 * stores, and the raw-SQL writes show up as untracked. The demo (startDemo) is
 * the CLI's, not part of the public API, so its test is the tool's, with the
 * story site as the application it runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoOptions, type RunningDemo } from '../../src/cli/demo/runDemo.js';
import { APP_TABLES, loadStorySiteConfig } from '../../examples/story-site/src/app/schema.js';
import { requireApplication } from '../../src/application/loadApplication.js';
import { silentLogger } from '../../src/log.js';
import { ROLLBACK_POLICY, autoRollbackOnDeadLetter } from '../support/rollbackRulesServed.js';

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
});

describe('tandem demo --to-the-end [pglite]', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-demo-end-'));
  let demo: RunningDemo | undefined;
  afterAll(async () => {
    await demo?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('takes the story_done group through write cutover, freeze and archive; the guard refuses the decommission', async () => {
    const output: string[] = [];
    // The guard scans the story site's own sources, as the CLI does by default.
    const src = path.dirname((await loadStorySiteConfig()).app as string);
    demo = await startStorySiteDemo(home, output, { toTheEnd: 'story_done', guardSources: [src] });
    const end = demo.summary.toTheEnd!;
    expect({ group: end.group, parityClean: end.parityClean, unexpected: end.unexpected }).toEqual({
      group: 'story_done',
      parityClean: true,
      unexpected: [],
    });
    const client = new pg.Client({ connectionString: demo.summary.urls.postgres });
    await client.connect();
    try {
      const count = (await client.query(`SELECT count(*)::int AS n FROM story_done`)).rows[0].n as number;
      expect(end.tables).toEqual([
        {
          table: 'story_done',
          phase: 'archived',
          archivedRows: count,
          refused: expect.stringMatching(
            /^story_done: cannot enter decommissioned: guard-clean \([1-9][0-9]* SQL reference\(s\) left, first at .*examples\/story-site\/src\/app\//,
          ),
        },
      ]);
      const state = await client.query(
        `SELECT (SELECT phase FROM tandem.table_phase WHERE table_name = 'story_done') AS phase,
                (SELECT stage FROM tandem.write_group WHERE name = 'story_done') AS writes,
                (SELECT applied FROM tandem.reverse_sync_state)::int AS reverse_applied`,
      );
      // The round after the cutover wrote story_done in Convex; reverse sync brought those rows back.
      expect(state.rows[0]).toMatchObject({ phase: 'archived', writes: 'convex' });
      expect(state.rows[0].reverse_applied).toBeGreaterThan(0);
      const frozen = await client.query(`INSERT INTO story_done (story_id, user_id, time) SELECT story_id, user_id, time FROM story_done LIMIT 1`).catch((e: { code?: string }) => e.code);
      expect(frozen).toBe('TF001');
    } finally {
      await client.end();
    }
    const text = output.join('');
    expect(text).toContain('== 8. The end of the plan for one write group');
    expect(text).toMatch(/story_done: frozen \(final parity clean\), archived \d+ row\(s\) at .* \(restore verified\), decommission refused: /);
  }, 240_000);
});
