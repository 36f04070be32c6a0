/**
 * The main job: the whole path on embedded defaults, in one process, for the
 * application a project config names (its plug-in: sample, HTTP API, traffic;
 * the story site's for `npm start`). PGlite and the local Convex stand-in
 * (serving the config's Convex folder) start fresh under the demo's own
 * directory; sample data is generated; capture is installed; the plan is
 * shown; existing rows are backfilled; then live traffic goes through the
 * application's API (plus raw SQL behind the helper's back) while the relay
 * mirrors it; finally a full parity check and the config's invariants in both stores; each table is moved
 * through the phases whose gates are now met (an idempotency drill taken as
 * evidence), and a summary per table shows its phase and next unmet gate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { backfill, type BackfillProgress } from '../../index.js';
import { captureStatus, installCapture, untrackedWrites } from '../../index.js';
import type { ApplicationPlugin, DemoTrafficResult, Logger, ProjectConfig, SampleProgress } from '../../index.js';
import { loadInvariantSuites } from '../../index.js';
import { discoverMirror } from '../../index.js';
import type { MirrorConfig } from '../../index.js';
import { runInvariants, runParity, type InvariantReport, type ParityReport } from '../../index.js';
import { formatPlan, readPlan } from '../../index.js';
import { migrate, toolSchemaOf } from '../../index.js';
import { outboxDrained } from '../../index.js';
import { advanceWhileMet, checklist, idempotencyDrill, InvalidInputError, type ConvexTarget } from '../../index.js';
import type { ParityReader } from '../../index.js';
import type { PhaseSources } from '../../index.js';
import { planPhaseSources } from '../phaseSources.js';
import { projectConvexDir } from '../context.js';
import { DEV_TOKENS } from '../commands/dev.js';
import { startEmbeddedStores, startServing, type EmbeddedStores } from '../embeddedStack.js';
import { takeSiteToTheEnd, type ToTheEndResult } from './toTheEnd.js';
import type { ToolSchema } from '../../index.js';

export interface DemoOptions {
  /** Wiped and recreated: the demo always starts from nothing. */
  home: string;
  /** What to mirror, the invariants, the alert rules and the Convex folder. */
  project: ProjectConfig;
  /** The application: its sample data, HTTP API and demo traffic. */
  application: ApplicationPlugin & Required<Pick<ApplicationPlugin, 'sample' | 'http' | 'demoTraffic'>>;
  scale: number;
  seed: number;
  /** Rounds of API traffic; each touches every write path of the application. */
  rounds: number;
  host: string;
  /** 0 picks free ports. */
  pgPort: number;
  apiPort: number;
  convexPort: number;
  mirrorWaitMs: number;
  log: Logger;
  /** Where the step headings, plan and summary are written. */
  out: (text: string) => void;
  onSampleProgress?: (e: SampleProgress) => void;
  onBackfillProgress?: (e: BackfillProgress) => void;
  onStepDone?: () => void;
  /**
   * Then take the whole application to the end of the plan (`--to-the-end`):
   * every table read and written in Convex, group by group, then frozen,
   * archived and decommissioned.
   */
  toTheEnd?: boolean;
  /** Sources the guard scans before a decommission (`--src`; none: the gate stays unmet). */
  guardSources?: string[];
}

export interface DemoTableSummary {
  table: string;
  pgRows: number;
  convexRows: number;
  pending: number;
  drift: number;
  untracked: number;
  phase: string;
  /** The first unmet gate of the table's next step ('-' when it is ready or done). */
  nextGate: string;
}

export interface DemoSummary {
  tables: DemoTableSummary[];
  parity: ParityReport;
  invariants: InvariantReport;
  traffic: DemoTrafficResult;
  /** What `--to-the-end` did, when asked. */
  toTheEnd?: ToTheEndResult;
  urls: { dashboard: string; api: string; metrics: string; openapi: string; convex: string; postgres: string };
}

export interface RunningDemo {
  summary: DemoSummary;
  stop(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 120_000;
/** The development tokens (DEV_TOKENS) by role, as the application's demo traffic sends them. */
const DEMO_TRAFFIC_TOKENS = { reader: 'dev-reader-token', editor: 'dev-editor-token', admin: 'dev-admin-token' };

async function waitForDrain(pool: pg.Pool, tool: ToolSchema): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (!(await outboxDrained(pool, tool))) {
    if (Date.now() > deadline) throw new Error(`the relay did not drain the outbox within ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Moves each table as far as its gates allow: capture is on and the backfill
 * done, so mirroring and backfilled; an idempotency drill is taken as the
 * evidence of the next step (a table with no applied change has nothing to
 * replay, which the checklist then shows as unmet).
 */
async function advanceTables(
  pool: pg.Pool, tool: ToolSchema,
  target: ConvexTarget & ParityReader,
  mirror: MirrorConfig,
  sources: PhaseSources,
): Promise<void> {
  for (const table of mirror.tables) {
    await advanceWhileMet(pool, tool, mirror, table.name, { sources });
    await idempotencyDrill(pool, tool, target, mirror, table.name).catch((err: unknown) => {
      if (!(err instanceof InvalidInputError)) throw err;
    });
  }
}

async function summarize(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  parity: ParityReport,
  sources: PhaseSources,
): Promise<DemoTableSummary[]> {
  const status = new Map((await captureStatus(pool, tool, mirror)).map((s) => [s.table, s]));
  const untracked = new Map((await untrackedWrites(pool, tool)).map((u) => [u.table, u.count]));
  const phases = new Map(
    (await checklist(pool, tool, mirror, mirror.tables.map((t) => t.name), { sources })).map((c) => [c.table, c]),
  );
  return Object.values(parity.tables).map((t) => ({
    table: t.table,
    pgRows: t.pgRows,
    convexRows: t.convexRows,
    pending: status.get(t.table)?.pending ?? 0,
    drift: t.missing.length + t.extra.length + t.different.length,
    untracked: untracked.get(t.table) ?? 0,
    phase: phases.get(t.table)?.phase ?? '-',
    nextGate: phases.get(t.table)?.unmet[0] ?? '-',
  }));
}

export function formatSummary(rows: DemoTableSummary[]): string {
  const header = ['table', 'rows (Postgres)', 'mirrored (Convex)', 'lag (pending)', 'drift', 'untracked writes', 'phase', 'next gate'];
  const body = rows.map((r) =>
    [r.table, r.pgRows, r.convexRows, r.pending, r.drift, r.untracked, r.phase, r.nextGate].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const leftAligned = (i: number) => i === 0 || i >= 6;
  const line = (cells: string[]) =>
    cells.map((c, i) => (leftAligned(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { out, project, application } = options;
  const tool = toolSchemaOf(project);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => options.log.error({ err }, 'demo shutdown step failed'));
  };
  try {
    fs.rmSync(options.home, { recursive: true, force: true });
    fs.mkdirSync(options.home, { recursive: true });
    const stores: EmbeddedStores = await startEmbeddedStores({
      convexDir: projectConvexDir(project),
      pgDataDir: path.join(options.home, 'pgdata'),
      convexDataDir: path.join(options.home, 'convex'),
      host: options.host,
      pgPort: options.pgPort,
      convexPort: options.convexPort,
      log: options.log,
    });
    stops.push(() => stores.stop());
    const { pg, pool, target, convexUrl } = stores;

    out(`\n== 1. Sample data of ${application.name} (scale ${options.scale}, seed ${options.seed}) into PGlite at ${pg.url}\n`);
    await migrate(pool, toolSchemaOf(project));
    await application.sample.generate(pool, { scale: options.scale, seed: options.seed, onProgress: options.onSampleProgress });
    options.onStepDone?.();
    const { mirror } = await discoverMirror(pool, project);

    out(`\n== 2. Capture: triggers on the ${mirror.tables.length} tables, writing the outbox in each writer's transaction\n`);
    const installed = await installCapture(pool, { tool,
      tables: mirror.tables.map((t) => t.name),
      mirror,
    });
    out(`installed on ${installed.length} tables\n`);

    out('\n== 3. Plan: order from the live catalog\'s foreign keys\n');
    const plan = await readPlan(pool, { config: project });
    out(formatPlan(plan));

    out(`\n== 4. Backfill into the local Convex stand-in at ${convexUrl} (not Convex)\n`);
    // Client and stand-in share this process's heap, so each call's body lives
    // in it several times over: smaller calls, one at a time, keep the demo's
    // peak RSS near 250 MB instead of over 300 (BENCHMARKS.md, CLI memory).
    const copied = await backfill(pool, tool, target, {
      config: mirror,
      onProgress: options.onBackfillProgress,
      log: options.log,
      batchBytes: 1024 * 1024,
      callsInFlight: 1,
    });
    options.onStepDone?.();
    out(`copied ${copied.tables.reduce((n, t) => n + t.copied, 0)} rows in ${copied.tables.length} tables\n`);

    const serving = await startServing(stores, {
      tool,
      application,
      mirror,
      tokens: DEV_TOKENS,
      port: options.apiPort,
      host: options.host,
      mirrorWaitMs: options.mirrorWaitMs,
      log: options.log,
      // Log only: the demo sends nothing out of the machine.
      alerts: {
        policy: project.alerts,
        config: { databaseUrl: undefined, convexDeployKey: undefined, apiTokens: DEV_TOKENS, alertWebhookUrl: undefined },
      },
      rollback: project.cutover.rollback,
      shadow: project.cutover.shadow,
    });
    stops.push(() => serving.stop());
    const { api } = serving;

    out(`\n== 5. Live traffic through the API at ${api.url}: ${options.rounds} rounds over every write path, plus raw SQL\n`);
    const traffic = await application.demoTraffic({
      baseUrl: api.url,
      tokens: DEMO_TRAFFIC_TOKENS,
      pool,
      rounds: options.rounds,
      seed: options.seed,
    });
    out(`${traffic.requests} requests, ${traffic.rawSqlWrites} raw-SQL writes; unexpected answers: ${traffic.unexpected.length}\n`);
    for (const u of traffic.unexpected) out(`  ${u}\n`);

    out('\n== 6. Relay: waiting until every captured change is applied\n');
    await waitForDrain(pool, tool);

    out('\n== 7. Parity (full: range hashes, bisection) and invariants in both stores\n');
    const parity = await runParity(pool, tool, target, { config: mirror, mode: 'full' });
    const suites = await loadInvariantSuites(project);
    const invariants = await runInvariants(pool, tool, target, { suites });
    const invariantCount = suites.reduce((n, s) => n + s.invariants.length, 0);
    // The checklist reads the demo's alert rules from its project config, as the CLI does.
    const sources = planPhaseSources(pool, tool, project.alerts);
    await advanceTables(pool, tool, target, mirror, sources);
    const tables = await summarize(pool, tool, mirror, parity, sources);
    out(`\n${formatSummary(tables)}`);
    out(`parity: ${parity.clean ? 'clean, zero drift' : 'DRIFT FOUND'}; invariants: ${invariants.clean ? `all ${invariantCount} hold in Postgres and Convex` : 'VIOLATED'}\n`);
    let toTheEnd: ToTheEndResult | undefined;
    if (options.toTheEnd) {
      out('\n== 8. The end of the plan: every table read and written in Convex group by group, reverse sync, then freeze, archive, decommission\n');
      const { scanForTables } = await import('../../scan.js');
      const guardSources = options.guardSources ?? [];
      toTheEnd = await takeSiteToTheEnd({
        pool,
        tool,
        target,
        mirror,
        plan,
        application,
        suites,
        writeFlags: serving.writeFlags,
        archiveDir: path.join(options.home, 'archive'),
        sources: {
          ...sources,
          // No sources: the gate stays unmet and says so, rather than a clean scan of nothing.
          guardReferences:
            guardSources.length === 0
              ? undefined
              : async (table) => (await scanForTables(guardSources, { tables: [table] })).findings.map((f) => `${f.file}:${f.line}`),
        },
        traffic: () =>
          application.demoTraffic({
            baseUrl: api.url,
            tokens: DEMO_TRAFFIC_TOKENS,
            pool,
            rounds: 1,
            seed: options.seed,
            firstRound: options.rounds + 1,
          }),
        waitForRelay: () => waitForDrain(pool, tool),
        out,
      });
    }
    const urls = {
      dashboard: `${api.url}/`,
      api: `${api.url}${api.application?.entry ?? '/api/openapi.json'}`,
      openapi: `${api.url}/api/openapi.json`,
      metrics: `${api.url}/metrics`,
      convex: `${convexUrl} (local stand-in, not Convex)`,
      postgres: pg.url,
    };
    out(`\nControl room: ${urls.dashboard}\nAPI: ${urls.api}\nOpenAPI: ${urls.openapi}\nmetrics: ${urls.metrics}\nConvex: ${urls.convex}\nPostgres: ${urls.postgres}\n`);
    return { summary: { tables, parity, invariants, traffic, toTheEnd, urls }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
