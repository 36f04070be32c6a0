/**
 * `tandem parity [--tables a,b] [--mode count|sample|full] [--sample N] [--json]`:
 * compares Postgres and Convex table by table (exit 1 on any drift).
 * `tandem parity history [--table t]`: stored runs, the green streak and unresolved drift.
 */
import { Option, type Command } from 'commander';
import { requireSchema } from '../../index.js';
import { columnDifferenceText, DEFAULT_SAMPLE, listRuns, parityStatus, runParity, type ParityMode, type ParityReport } from '../../index.js';
import { openConvexTarget, writeSourceOf as sourceOf, writerParityOptions, type WriteSource } from '../../index.js';
import { commandContext, discover, EXIT_FINDINGS, parseList, withDatabase } from '../context.js';
import { instant, wholeNumber } from '../optionParsers.js';

interface ParityFlags {
  tables?: string[];
  mode: ParityMode;
  sample: number;
  json?: boolean;
  rangeRows: number;
  pendingWaitMs: number;
  record: boolean;
}

const SHOWN_KEYS = 20;
const listKeys = (keys: unknown[]) =>
  keys.slice(0, SHOWN_KEYS).map((k) => JSON.stringify(k)).join(', ') + (keys.length > SHOWN_KEYS ? `, … (${keys.length})` : '');

/** The writer each table was checked against (its saved write group's stage; postgres when in none). */
type Sources = Readonly<Record<string, WriteSource>>;

function printReport(report: ParityReport, sources: Sources): void {
  for (const t of Object.values(report.tables)) {
    const counts = `missing ${t.missing.length}, extra ${t.extra.length}, different ${t.different.length}, pending ${t.pending.length}`;
    process.stdout.write(
      `${t.table}\t${t.mode}\tsource ${sourceOf(sources, t.table)}\tpostgres ${t.pgRows}\tconvex ${t.convexRows}\tcompared ${t.compared}\t${counts}\t${t.clean ? 'clean' : 'DRIFT'}\n`,
    );
    if (t.note) process.stdout.write(`  note: ${t.note}\n`);
    for (const kind of ['missing', 'extra', 'different', 'pending'] as const) {
      if (t[kind].length > 0) process.stdout.write(`  ${kind}: ${listKeys(t[kind])}\n`);
    }
    for (const u of t.unrepresentable) {
      process.stdout.write(
        `  ${JSON.stringify(u.key)} cannot be stored in Convex: ${u.column ?? '(row)'}: ${u.rule}: ${u.reason}\n`.slice(0, 2000),
      );
    }
    for (const d of t.differences) {
      process.stdout.write(`  ${JSON.stringify(d.key)} differs in ${d.columns.map(columnDifferenceText).join('; ')}\n`.slice(0, 2000));
    }
  }
  process.stdout.write(
    report.clean ? 'parity clean\n' : 'parity found drift (repair with `tandem repair`: it copies from each table\'s source)\n',
  );
}

function jsonReport(report: ParityReport, sources: Sources): unknown {
  const tables = Object.fromEntries(
    Object.entries(report.tables).map(([name, t]) => {
      const { table: _t, startedAt, finishedAt, ...rest } = t;
      const source = sourceOf(sources, name);
      return [name, { source, ...rest, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString() }];
    }),
  );
  // bigint column values (int64) in differences print as strings.
  return JSON.parse(JSON.stringify({ tables, clean: report.clean }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
}

function registerHistory(parity: Command): void {
  parity
    .command('history')
    .description('stored parity and invariant runs, the streak of green days and unresolved drift')
    .option('--table <table>', 'only this table')
    .option('--limit <n>', 'runs shown', wholeNumber(), 20)
    .option('--now <time>', 'evaluate the streak at this time (for drills and tests)', instant)
    .option('--json', 'print JSON')
    .action(async (flags: { table?: string; limit: number; now?: Date; json?: boolean }) => {
      const ctx = await commandContext();
      const now = flags.now ?? new Date();
      const { runs, status } = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return {
          runs: await listRuns(db.pool, ctx.tool, { table: flags.table, limit: flags.limit, now }),
          status: await parityStatus(db.pool, ctx.tool, now),
        };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ runs, ...status }, null, 2)}\n`);
        return;
      }
      for (const r of runs) {
        const what = r.kind === 'parity' ? r.mode : `invariant ${r.invariant} in ${r.mode}`;
        process.stdout.write(
          `${r.finishedAt.toISOString()}\t${r.kind}\t${r.table}\t${what}\tcompared ${r.compared}\tdrift ${r.driftCount}\tpending ${r.pendingCount}\t${r.clean ? 'clean' : 'DRIFT'}\n`,
        );
      }
      if (runs.length === 0) process.stdout.write('no runs yet\n');
      for (const u of status.unresolved) {
        const what = u.countMismatch ? 'row counts differ' : `${u.keys.length} key(s): ${listKeys(u.keys.map((k) => k.key))}`;
        process.stdout.write(`unresolved: ${u.table} (${u.mode} run ${u.finishedAt.toISOString()}): ${what}\n`);
      }
      process.stdout.write(
        `streak: ${status.streakDays} green day(s)${status.streakEnds ? ` ending ${status.streakEnds}` : ''}; unresolved drift: ${status.unresolvedKeys}\n`,
      );
    });
}

export function register(program: Command): void {
  const parity = program
    .command('parity')
    .description('Compare Postgres and Convex per table: counts, a sample, or every row by range hashes (exit 1 on drift)')
    .option('--tables <list>', 'comma-separated tables (default: all mirrored)', parseList)
    .addOption(new Option('--mode <mode>', 'count, sample or full').choices(['count', 'sample', 'full']).default('full'))
    .option('--sample <n>', 'rows in a sample', wholeNumber(), DEFAULT_SAMPLE)
    .option('--range-rows <n>', 'Postgres rows per hashed range (full mode)', wholeNumber(), 2000)
    .option('--pending-wait-ms <ms>', "how long to wait for drifted keys' pending changes (the outbox, or Convex's change log for a table written in Convex)", wholeNumber(), 10_000)
    .option('--no-record', 'do not store the run in the history')
    .option('--json', 'print JSON')
    .action(async (flags: ParityFlags) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const { report, sources } = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        // Each table is checked against its writer: a Convex-written table's unapplied changes wait in the change log.
        const writers = await writerParityOptions(db.pool, ctx.tool, target);
        const report = await runParity(db.pool, ctx.tool, target, {
          config: (await discover(ctx, db)).mirror,
          tables: flags.tables,
          mode: flags.mode,
          sample: flags.sample,
          rangeRows: flags.rangeRows,
          pendingWaitMs: flags.pendingWaitMs,
          record: flags.record,
          ...writers,
        });
        return { report, sources: writers.sources };
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(jsonReport(report, sources), null, 2)}\n`);
      else printReport(report, sources);
      if (!report.clean) process.exitCode = EXIT_FINDINGS;
    });
  registerHistory(parity);
}
