/**
 * `tandem flags list|set|rollback|history`: the read stage of each mirrored
 * table (docs/read-cutover.md), and with `--writes` the write stage of each
 * write group (docs/write-cutover.md). Every change is checked against its
 * transition table and written with its reason to the audit log; bad input
 * exits 2 with nothing changed.
 */
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
import { wholeNumber } from '../optionParsers.js';
import { registerWriteFlags, writesOption } from './writeFlags.js';
import { commandContext, discover, withDatabase, cliActor } from '../context.js';

const actor = cliActor;

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
    .description(
      'Read stage per table: postgres → shadow → convex-internal → convex-percent → convex; with --writes, write stage per write group',
    );
  const writes = registerWriteFlags();

  flags
    .command('list')
    .description('every mirrored table with its read stage and percentage')
    .option('--json', 'print JSON: [{ table, stage, percent }]')
    .option('--writes', 'the write stage of each write group instead')
    .action(async (opts: { json?: boolean; writes?: boolean }) => {
      if (opts.writes) return writes.list(opts);
      const ctx = await commandContext();
      const rows = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const { mirror } = await discover(ctx, db);
        return listReadStages(
          db.pool, ctx.tool,
          mirror.tables.map((t) => t.name),
        );
      });
      if (opts.json) return print(JSON.stringify(rows, null, 2));
      for (const r of rows) print(`${r.table}\t${describeSetting(r)}`);
    });

  flags
    .command('set <table> [stage]')
    .description(
      'move a table to a stage (skipping shadow, or straight to convex without a ramp, needs --force)',
    )
    .option('--percent <n>', 'share of users for convex-percent (0–100, 0.01 steps)')
    .option('--why <text>', 'why (required; recorded in the audit log)')
    .option('--reason <text>', 'the same as --why')
    .option('--force', 'allow a move that skips a step (recorded as forced)')
    .addOption(writesOption('<stage>', 'move the write group <table> to this write stage instead'))
    .option(
      '--src <paths...>',
      'with --writes: also refuse when an inventory write site of these sources crosses the group',
    )
    .option(
      '--deadline-ms <n>',
      'with --writes convex: how long the outbox may take to reach Convex while writes are held (ms)',
      wholeNumber(1),
      10_000,
    )
    .action(
      async (
        table: string,
        stage: string | undefined,
        opts: {
          percent?: string;
          why?: string;
          reason?: string;
          force?: boolean;
          writes?: string;
          src?: string[];
          deadlineMs?: number;
        },
      ) => {
        if (opts.writes !== undefined) return writes.set(table, stage, opts);
        if (stage === undefined)
          throw new InvalidInputError(
            'stage',
            'give a stage (or --writes <stage> for a write group)',
          );
        opts.why ??= opts.reason;
        const ctx = await commandContext();
        const change = await withDatabase(ctx, async (db) => {
          await requireSchema(db.pool, ctx.tool);
          const { mirror } = await discover(ctx, db);
          return setReadStage(
            db.pool, ctx.tool,
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
      },
    );

  flags
    .command('rollback [table]')
    .description('set a table (or, with --all, every table) back to postgres')
    .option('--all', 'every table not at postgres')
    .option('--why <text>', 'why (required; recorded in the audit log)')
    .option('--reason <text>', 'the same as --why')
    .option(
      '--writes',
      'move the write group <table> back to postgres: drain reverse sync, then switch',
    )
    .option(
      '--deadline-ms <n>',
      'with --writes: how long the drain may take (ms)',
      wholeNumber(1),
      10_000,
    )
    .action(
      async (
        table: string | undefined,
        opts: {
          all?: boolean;
          why?: string;
          reason?: string;
          writes?: boolean;
          deadlineMs: number;
        },
      ) => {
        if (opts.writes) return writes.rollback(table, opts);
        opts.why ??= opts.reason;
        if ((table === undefined) === !opts.all)
          throw new InvalidInputError('table', 'give one table, or --all');
        const ctx = await commandContext();
        const changes = await withDatabase(ctx, async (db) => {
          await requireSchema(db.pool, ctx.tool);
          const { mirror } = await discover(ctx, db);
          return rollbackReadStages(
            db.pool, ctx.tool,
            opts.all ? 'all' : [table!],
            mirror.tables.map((t) => t.name),
            { why: opts.why ?? '', actor: actor() },
          );
        });
        if (changes.length === 0)
          return print(
            opts.all ? 'every table already reads postgres' : `${table} already reads postgres`,
          );
        for (const c of changes) print(formatChange(c));
      },
    );

  flags
    .command('history [table]')
    .description('the audit log of stage changes (who, when, why, from, to, rule)')
    .option('--json', 'print JSON')
    .option('--writes', 'the audit log of write stages and group saves instead')
    .action(async (table: string | undefined, opts: { json?: boolean; writes?: boolean }) => {
      if (opts.writes) return writes.history(table, opts);
      const ctx = await commandContext();
      const entries = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return readStageHistory(db.pool, ctx.tool, table);
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
