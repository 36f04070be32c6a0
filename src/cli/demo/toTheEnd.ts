/**
 * `tandem demo --to-the-end`: the rest of the plan for the whole application,
 * after the demo's usual path. Every table's reads move to Convex; then each
 * write group, in dependency order (orderWriteGroups, as the story site's
 * end-of-plan test moves them), moves its writes to Convex (hold, drain the
 * outbox, raise Convex's version floor, switch); one more round of traffic
 * writes through Convex while reverse sync keeps Postgres in step; then each
 * group's tables are frozen, archived (restore verified) and decommissioned,
 * group by group in the same order. After every step both directions are
 * drained and checked: full parity of every table Postgres still keeps, and
 * the config's invariants (in Convex alone once a table is retired: the
 * suites read the application schema, which a retired table has left).
 *
 * The days of evidence the plan's gates ask for (parity green and reads held
 * for 7 days, a rollback drill with running instances) cannot pass in a demo:
 * those steps are forced, with the reason, and the audit log shows it. Every
 * other step is the one an operator runs, with its own checks; the guard
 * still scans the sources it is given before each decommission.
 */
import path from 'node:path';
import type pg from 'pg';
import {
  advancePhase,
  archiveTable,
  changeLogSource,
  checklistGates,
  cutoverWriteStage,
  decommissionTable,
  drainReverseSync,
  freezeTable,
  GateNotMetError,
  InvalidInputError,
  orderWriteGroups,
  PHASES,
  readPhases,
  relayOutboxDrain,
  runInvariants,
  runParity,
  writerParityOptions,
  saveWriteGroups,
  setReadStage,
  writeGroupReport,
  type ApplicationPlugin,
  type ConvexFunctionRunner,
  type ConvexTarget,
  type FunctionCaller,
  type InvariantSuite,
  type MigrationPlan,
  type MirrorConfig,
  type ParityReader,
  type PhaseSources,
  type ToolSchema,
  type WriteFlags,
} from '../../index.js';

export interface ToTheEndOptions {
  pool: pg.Pool;
  tool: ToolSchema;
  target: ConvexTarget & ParityReader & FunctionCaller & ConvexFunctionRunner;
  mirror: MirrorConfig;
  /** The plan the demo showed: its table order puts the write groups in dependency order. */
  plan: Pick<MigrationPlan, 'tables'>;
  application: ApplicationPlugin;
  /** The config's invariant suites, checked after every step. */
  suites: InvariantSuite[];
  writeFlags: WriteFlags;
  sources: PhaseSources;
  /** Where the archives are written. */
  archiveDir: string;
  /** One more round of the application's traffic, once every group writes in Convex. */
  traffic(): Promise<{ requests: number; unexpected: string[] }>;
  waitForRelay(): Promise<void>;
  out: (text: string) => void;
}

export interface ToTheEndTable {
  table: string;
  group: string;
  phase: string;
  archivedRows: number | null;
  /** Why decommissioning was refused (null when the table was decommissioned). */
  refused: string | null;
}

/** One step of the way and what was checked after it. */
export interface ToTheEndStep {
  step: string;
  /** Tables whose full parity was checked (every one Postgres still keeps). */
  parityTables: number;
  /** Keys missing, extra or different over those tables. */
  drift: number;
  invariantsClean: boolean;
  /** Where the invariants were checked. */
  invariantStores: Array<'postgres' | 'convex'>;
}

export interface ToTheEndResult {
  /** The write groups, in the order they moved and were retired. */
  groups: string[];
  /** How long each group's writes were held while the outbox drained, by group. */
  pauseMs: Record<string, number>;
  steps: ToTheEndStep[];
  /** Requests of the round written through Convex answered otherwise than expected. */
  unexpected: string[];
  tables: ToTheEndTable[];
}

const WHY = 'tandem demo --to-the-end: the days of evidence the gates ask for cannot pass in a demo';
const ACTOR = 'tandem demo';
const DRAIN_MS = 60_000;

export async function takeSiteToTheEnd(o: ToTheEndOptions): Promise<ToTheEndResult> {
  const cutover = o.application.writeCutover;
  if (!cutover)
    throw new InvalidInputError('to-the-end', `${o.application.name} has no Convex write paths (its plug-in has no writeCutover part)`);
  const tables = o.mirror.tables.map((t) => t.name);
  const report = await writeGroupReport(o.pool, o.tool, { tables, writePaths: cutover.writePaths });
  await saveWriteGroups(o.pool, o.tool, report.derived, {
    actor: ACTOR,
    why: "the groups of the application's write paths and of the transactions the demo traffic wrote",
  });
  const groups = orderWriteGroups(report.derived, o.plan);
  const reverse = { tool: o.tool, pool: o.pool, source: changeLogSource(o.target), config: o.mirror };
  const retired = new Set<string>();
  const steps: ToTheEndStep[] = [];
  const parityOptions = async () => ({ config: o.mirror, mode: 'full' as const, ...(await writerParityOptions(o.pool, o.tool, o.target)) });

  /** Drains both directions, checks parity of the tables Postgres keeps and the invariants, prints the step's line. */
  const checked = async (step: string) => {
    await o.waitForRelay();
    const drained = await drainReverseSync(reverse, undefined, DRAIN_MS);
    if (!drained.drained) throw new Error(`reverse sync did not catch up after "${step}": ${drained.pending} change(s) not yet in Postgres`);
    const kept = tables.filter((t) => !retired.has(t));
    const parity = kept.length === 0 ? null : await runParity(o.pool, o.tool, o.target, { ...(await parityOptions()), tables: kept });
    const drift = Object.values(parity?.tables ?? {}).reduce((n, t) => n + t.missing.length + t.extra.length + t.different.length, 0);
    const invariantStores: ToTheEndStep['invariantStores'] = retired.size === 0 ? ['postgres', 'convex'] : ['convex'];
    const invariants = await runInvariants(o.pool, o.tool, o.target, { suites: o.suites, stores: invariantStores });
    steps.push({ step, parityTables: kept.length, drift, invariantsClean: invariants.clean, invariantStores });
    const parityText = kept.length === 0 ? 'no table left in Postgres to compare' : drift === 0 ? `zero drift in ${kept.length} table(s)` : `DRIFT: ${drift} key(s)`;
    const storesText = invariantStores.length === 2 ? 'Postgres and Convex' : 'Convex';
    o.out(`[${steps.length}] ${step}: ${parityText}; invariants ${invariants.clean ? `hold in ${storesText}` : `VIOLATED in ${storesText}`}\n`);
  };
  const advance = (table: string, to: string) =>
    advancePhase(o.pool, o.tool, o.mirror, table, { to, force: true, why: WHY, actor: ACTOR, sources: o.sources });
  /** Forced one step at a time, as `tandem advance --force` would be, up to `to`. */
  const advanceTo = async (table: string, to: (typeof PHASES)[number]) => {
    const at = PHASES.indexOf((await readPhases(o.pool, o.tool, [table])).get(table)!.phase);
    for (const next of PHASES.slice(at + 1, PHASES.indexOf(to) + 1)) await advance(table, next);
  };

  o.out(`write groups in dependency order: ${groups.map((g) => g.name).join(' → ')}\n`);
  await cutover.prepare({ pool: o.pool, tool: o.tool, schema: o.mirror.schema, convex: o.target, tables });
  for (const table of tables) {
    await advanceTo(table, 'reads-on-convex');
    await setReadStage(o.pool, o.tool, tables, { table, stage: 'convex', force: true, why: WHY, actor: ACTOR });
  }
  await checked(`reads of all ${tables.length} tables on Convex`);

  const pauseMs: Record<string, number> = {};
  for (const group of groups) {
    const moved = await cutoverWriteStage(o.pool, o.tool, {
      group: group.name,
      force: true,
      why: WHY,
      actor: ACTOR,
      gates: checklistGates(o.pool, o.tool, o.mirror, { sources: o.sources }),
      outbox: relayOutboxDrain(o.pool, o.tool),
      convex: { raiseVersionFloor: (floor) => reverse.source.raiseVersionFloor(floor) },
    });
    await o.writeFlags.refresh();
    for (const table of group.tables) await advanceTo(table, 'writes-on-convex');
    pauseMs[group.name] = moved.pauseMs;
    await checked(`writes of ${group.name} on Convex (paused ${Math.round(moved.pauseMs)} ms while the outbox drained)`);
  }

  const traffic = await o.traffic();
  await checked(
    `${traffic.requests} more requests (${traffic.unexpected.length} unexpected answers), every write made in Convex and kept in step in Postgres by reverse sync`,
  );
  for (const u of traffic.unexpected) o.out(`  ${u}\n`);

  const results: ToTheEndTable[] = [];
  for (const group of groups) {
    const done: string[] = [];
    for (const table of group.tables) {
      const frozen = await freezeTable(o.pool, o.tool, o.mirror, table, {
        why: WHY,
        actor: ACTOR,
        finalParity: async (t) => runParity(o.pool, o.tool, o.target, { ...(await parityOptions()), tables: [t] }),
      });
      await advance(table, 'frozen');
      // Archive and decommission right after one another: reverse sync still writes a frozen table.
      await drainReverseSync(reverse, [table], DRAIN_MS);
      const archived = await archiveTable(o.pool, o.tool, o.mirror, table, { out: path.join(o.archiveDir, table) });
      await advance(table, 'archived');
      let refused: string | null = null;
      try {
        await decommissionTable(o.pool, o.tool, o.mirror, table, { sources: o.sources, actor: ACTOR });
        retired.add(table);
      } catch (err) {
        if (!(err instanceof GateNotMetError)) throw err;
        refused = err.message;
      }
      const phase = refused ? 'archived' : 'decommissioned';
      results.push({ table, group: group.name, phase, archivedRows: archived.manifest.rows, refused });
      done.push(
        `${table} (final parity ${frozen.parityClean ? 'clean' : 'NOT clean'}, ${archived.manifest.rows} row(s) archived, ${refused ? `decommission refused: ${refused}` : 'decommissioned'})`,
      );
    }
    await checked(`${group.name} frozen, archived (restore verified) and retired: ${done.join(', ')}`);
  }
  o.out(
    `${retired.size} of ${tables.length} tables decommissioned (kept as tandem_retired.<table>); archives in ${o.archiveDir}\n`,
  );
  return {
    groups: groups.map((g) => g.name),
    pauseMs,
    steps,
    unexpected: traffic.unexpected,
    tables: results,
  };
}
