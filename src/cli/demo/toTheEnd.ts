/**
 * `tandem demo --to-the-end [group]`: the plan's last steps for one write
 * group, after the demo's usual path. Its tables' reads move to Convex, its
 * writes move to Convex (hold, drain the outbox, raise Convex's version floor,
 * switch), one more round of traffic writes through Convex while reverse sync
 * keeps Postgres in step, parity is checked in full, and then each table is
 * frozen, archived (restore verified) and offered for decommissioning, which
 * the guard refuses while the application's sources still have SQL on it.
 *
 * The days of evidence the plan's gates ask for (parity green and reads held
 * for 7 days, a rollback drill with running instances) cannot pass in a demo:
 * those steps are forced, with the reason, and the audit log shows it. Every
 * other step is the one an operator runs, with its own checks.
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
  PHASES,
  readPhases,
  relayOutboxDrain,
  runParity,
  writerParityOptions,
  saveWriteGroups,
  setReadStage,
  writeGroupReport,
  type ApplicationPlugin,
  type ConvexFunctionRunner,
  type ConvexTarget,
  type FunctionCaller,
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
  application: ApplicationPlugin;
  writeFlags: WriteFlags;
  sources: PhaseSources;
  /** The group to take (a group's name, or one of its tables); default: the group of the table with the most rows. */
  group: string | true;
  rowsByTable: ReadonlyMap<string, number>;
  /** Where the archives are written. */
  archiveDir: string;
  /** One more round of the application's traffic, once the group writes in Convex. */
  traffic(): Promise<{ requests: number; unexpected: string[] }>;
  waitForRelay(): Promise<void>;
  out: (text: string) => void;
}

export interface ToTheEndTable {
  table: string;
  phase: string;
  archivedRows: number | null;
  /** Why decommissioning was refused (null when the table was decommissioned). */
  refused: string | null;
}

export interface ToTheEndResult {
  group: string;
  pauseMs: number;
  /** Full parity after the group's writes went through Convex and back by reverse sync. */
  parityClean: boolean;
  /** Requests of the round written through Convex answered otherwise than expected. */
  unexpected: string[];
  tables: ToTheEndTable[];
}

const WHY = 'tandem demo --to-the-end: the days of evidence the gates ask for cannot pass in a demo';
const ACTOR = 'tandem demo';

export async function takeGroupToTheEnd(o: ToTheEndOptions): Promise<ToTheEndResult> {
  if (!o.application.writeCutover)
    throw new InvalidInputError('to-the-end', `${o.application.name} has no Convex write paths (its plug-in has no writeCutover part)`);
  const tables = o.mirror.tables.map((t) => t.name);
  const report = await writeGroupReport(o.pool, o.tool, { tables });
  await saveWriteGroups(o.pool, o.tool, report.derived, { actor: ACTOR, why: 'the groups the demo traffic wrote' });
  const busiest = [...o.rowsByTable].sort((a, b) => b[1] - a[1])[0]?.[0];
  const wanted = o.group === true ? busiest : o.group;
  const group = report.derived.find((g) => g.name === wanted || g.tables.includes(wanted ?? ''));
  if (!group)
    throw new InvalidInputError(
      'to-the-end',
      `no write group named ${String(wanted)} or holding that table (groups: ${report.derived.map((g) => g.name).join(', ')})`,
    );
  const { name } = group;
  const advance = (table: string, to: string) =>
    advancePhase(o.pool, o.tool, o.mirror, table, { to, force: true, why: WHY, actor: ACTOR, sources: o.sources });
  /** Forced one step at a time, as `tandem advance --force` would be, up to `to`. */
  const advanceTo = async (table: string, to: (typeof PHASES)[number]) => {
    const at = PHASES.indexOf((await readPhases(o.pool, o.tool, [table])).get(table)!.phase);
    for (const next of PHASES.slice(at + 1, PHASES.indexOf(to) + 1)) await advance(table, next);
  };

  o.out(`group ${name}: ${group.tables.join(', ')}\n`);
  await o.application.writeCutover.prepare({ pool: o.pool, tool: o.tool, schema: o.mirror.schema, convex: o.target, tables: group.tables });
  for (const table of group.tables) {
    await advanceTo(table, 'reads-on-convex');
    await setReadStage(o.pool, o.tool, tables, { table, stage: 'convex', force: true, why: WHY, actor: ACTOR });
  }
  const cutover = await cutoverWriteStage(o.pool, o.tool, {
    group: name,
    force: true,
    why: WHY,
    actor: ACTOR,
    gates: checklistGates(o.pool, o.tool, o.mirror, { sources: o.sources }),
    outbox: relayOutboxDrain(o.pool, o.tool),
    convex: { raiseVersionFloor: (floor) => changeLogSource(o.target).raiseVersionFloor(floor) },
  });
  await o.writeFlags.refresh();
  for (const table of group.tables) await advanceTo(table, 'writes-on-convex');
  o.out(`reads and writes of ${name} on Convex (writes paused ${Math.round(cutover.pauseMs)} ms while the outbox drained)\n`);

  const traffic = await o.traffic();
  await o.waitForRelay();
  const reverse = { tool: o.tool, pool: o.pool, source: changeLogSource(o.target), config: o.mirror };
  const drained = await drainReverseSync(reverse, group.tables, 60_000);
  if (!drained.drained) throw new Error(`reverse sync did not catch up: ${drained.pending} change(s) of ${name} not yet in Postgres`);
  const parity = await runParity(o.pool, o.tool, o.target, {
    config: o.mirror,
    mode: 'full',
    ...(await writerParityOptions(o.pool, o.tool, o.target)),
  });
  o.out(
    `${traffic.requests} more requests (unexpected answers: ${traffic.unexpected.length}), the group's writes made in Convex and kept in step in Postgres by reverse sync; parity ${parity.clean ? 'clean' : 'DRIFT FOUND'}\n`,
  );
  for (const u of traffic.unexpected) o.out(`  ${u}\n`);

  const results: ToTheEndTable[] = [];
  for (const table of group.tables) {
    const frozen = await freezeTable(o.pool, o.tool, o.mirror, table, {
      why: WHY,
      actor: ACTOR,
      finalParity: async (t) =>
        runParity(o.pool, o.tool, o.target, {
          config: o.mirror,
          tables: [t],
          mode: 'full',
          ...(await writerParityOptions(o.pool, o.tool, o.target)),
        }),
    });
    await advance(table, 'frozen');
    // Archive and decommission right after one another: reverse sync still writes a frozen table.
    await drainReverseSync(reverse, [table], 60_000);
    const archived = await archiveTable(o.pool, o.tool, o.mirror, table, { out: path.join(o.archiveDir, table) });
    await advance(table, 'archived');
    let refused: string | null = null;
    let phase = 'archived';
    try {
      await decommissionTable(o.pool, o.tool, o.mirror, table, { sources: o.sources, actor: ACTOR });
      phase = 'decommissioned';
    } catch (err) {
      if (!(err instanceof GateNotMetError)) throw err;
      refused = err.message;
    }
    o.out(
      `${table}: frozen (final parity ${frozen.parityClean ? 'clean' : 'NOT clean'}), archived ${archived.manifest.rows} row(s) at ${archived.dir} (restore verified), ${
        refused ? `decommission refused: ${refused}` : 'decommissioned'
      }\n`,
    );
    results.push({ table, phase, archivedRows: archived.manifest.rows, refused });
  }
  return { group: name, pauseMs: cutover.pauseMs, parityClean: parity.clean, unexpected: traffic.unexpected, tables: results };
}
