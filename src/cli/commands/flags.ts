/**
 * `tandem flags list|set|rollback|history`: the read stage of each mirrored
 * table (docs/read-cutover.md). Every change is checked against the transition
 * table and written with its reason to the audit log; bad input exits 2 with
 * nothing changed.
 */
import os from 'node:os';
import type { Command } from 'commander';
import {
  InvalidInputError,
  describeSetting,
  listReadStages,
  readStageHistory,
  requireSchema,
  rollbackReadStages,
  setReadStage,
  type StageChange,
} from '../../index.js';
import { commandContext, discover, withDatabase } from '../context.js';

const actor = () => `${os.userInfo().username}@${os.hostname()} (cli)`;

function parsePercent(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidInputError('percent', `not a number: ${JSON.stringify(value)}`);
  return n;
}

function formatChange(c: StageChange): string {
  return `${c.table}: ${describeSetting(c.from)} → ${describeSetting(c.to)}${c.forced ? ' (forced)' : ''}`;
}

const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

export function register(program: Command): void {
  const flags = program
    .command('flags')
    .description('Read stage per table: postgres → shadow → convex-internal → convex-percent → convex');

  flags
    .command('list')
    .description('every mirrored table with its read stage and percentage')
    .option('--json', 'print JSON: [{ table, stage, percent }]')
    .action(async (opts: { json?: boolean }) => {
      const ctx = await commandContext();
      const rows = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool);
        const { mirror } = await discover(ctx, db);
        return listReadStages(db.pool, mirror.tables.map((t) => t.name));
      });
      if (opts.json) return print(JSON.stringify(rows, null, 2));
      for (const r of rows) print(`${r.table}\t${describeSetting(r)}`);
    });

  flags
    .command('set <table> <stage>')
    .description('move a table to a stage (skipping shadow, or straight to convex without a ramp, needs --force)')
    .option('--percent <n>', 'share of users for convex-percent (0–100, 0.01 steps)')
    .option('--why <text>', 'why (required; recorded in the audit log)')
    .option('--force', 'allow a move that skips a step (recorded as forced)')
    .action(async (table: string, stage: string, opts: { percent?: string; why?: string; force?: boolean }) => {
      const ctx = await commandContext();
      const change = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool);
        const { mirror } = await discover(ctx, db);
        return setReadStage(
          db.pool,
          mirror.tables.map((t) => t.name),
          {
            table,
            stage,
            percent: parsePercent(opts.percent),
            why: opts.why ?? '',
            actor: actor(),
            force: opts.force,
          },
        );
      });
      print(formatChange(change));
    });

  flags
    .command('rollback [table]')
    .description('set a table (or, with --all, every table) back to postgres')
    .option('--all', 'every table not at postgres')
    .option('--why <text>', 'why (required; recorded in the audit log)')
    .action(async (table: string | undefined, opts: { all?: boolean; why?: string }) => {
      if ((table === undefined) === !opts.all) throw new InvalidInputError('table', 'give one table, or --all');
      const ctx = await commandContext();
      const changes = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool);
        const { mirror } = await discover(ctx, db);
        return rollbackReadStages(
          db.pool,
          opts.all ? 'all' : [table!],
          mirror.tables.map((t) => t.name),
          { why: opts.why ?? '', actor: actor() },
        );
      });
      if (changes.length === 0) return print(opts.all ? 'every table already reads postgres' : `${table} already reads postgres`);
      for (const c of changes) print(formatChange(c));
    });

  flags
    .command('history [table]')
    .description('the audit log of stage changes (who, when, why, from, to, rule)')
    .option('--json', 'print JSON')
    .action(async (table: string | undefined, opts: { json?: boolean }) => {
      const ctx = await commandContext();
      const entries = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool);
        return readStageHistory(db.pool, table);
      });
      if (opts.json) return print(JSON.stringify(entries, null, 2));
      if (entries.length === 0) return print('no stage changes');
      for (const e of entries) {
        const how = [e.forced && 'forced', e.rule && `rule ${e.rule}`].filter(Boolean).join(', ');
        print(
          `${e.at}\t${e.table}\t${describeSetting(e.from)} → ${describeSetting(e.to)}\t${e.actor}\t${e.why}${how ? ` (${how})` : ''}`,
        );
      }
    });
}
