/**
 * The plan's phases from the command line (docs/phases.md):
 * - `tandem checklist [<table>] [--json]`: every gate of each table with its evidence;
 * - `tandem advance <table> [--to <phase>] [--force --why "…"]`: refuses an unmet gate, naming it;
 * - `tandem drill idempotency <table>`: replays applied changes, proves Convex unchanged;
 * - `tandem drill rollback <table>`: reads to postgres and back, timing each running instance;
 * - `tandem freeze <table> --why "…" [--dry-run] [--recheck]` and `tandem unfreeze <table> --why "…"`;
 * - `tandem archive <table> [--out <dir>]`, `tandem restore <archive> --into <schema> [--dry-run]`;
 * - `tandem decommission <table> --src <paths…> [--retired-schema s | --rename-to n | --drop --why "…"]`.
 * `--now` moves the clock, for drills and tests (gates such as "7 days of green parity").
 */
import type { Command } from 'commander';
import {
  advancePhase,
  archiveTable,
  checklist,
  retiredChecklists,
  decommissionTable,
  restoreArchive,
  rollbackDrill,
  freezeTable,
  idempotencyDrill,
  InvalidInputError,
  openConvexTarget,
  qualifiedName,
  requireSchema,
  runParity,
  writerParityOptions,
  unfreezeTable,
  type TableChecklist,
} from '../../index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  commandContext,
  discover,
  EXIT_FINDINGS,
  phaseSources,
  projectConfigFile,
  withDatabase,
} from '../context.js';
import { instant, wholeNumber } from '../optionParsers.js';

interface GateFlags {
  now?: Date;
  parityDays: number;
  readDays: number;
}

function gateOptions(command: Command): Command {
  return command
    .option('--now <time>', 'evaluate gates at this time (for drills and tests)', instant)
    .option('--parity-days <n>', 'consecutive green parity days required', wholeNumber(1), 7)
    .option('--read-days <n>', 'days reads must stay on convex', wholeNumber(1), 7);
}

function printChecklist(lists: TableChecklist[]): void {
  for (const list of lists) {
    const next = list.next
      ? `next: ${list.next}${list.unmet.length ? ` (unmet: ${list.unmet.join(', ')})` : ' (ready)'}`
      : 'done';
    process.stdout.write(
      `${list.table}\t${list.phase}${list.forced ? ' (forced)' : ''}\t${next}\n`,
    );
    for (const g of list.gates) {
      const when = g.metAt ? ` since ${g.metAt.toISOString()}` : '';
      process.stdout.write(
        `  [${g.met ? 'x' : ' '}] ${g.gate}: ${g.evidence}${g.met ? when : ''}\n`,
      );
    }
  }
}

function registerChecklist(program: Command): void {
  gateOptions(
    program
      .command('checklist [table]')
      .description(
        "Each table's phase and every gate of the plan, with the evidence and when it was met",
      )
      .option('--json', 'print JSON'),
  ).action(async (table: string | undefined, flags: GateFlags & { json?: boolean }) => {
    const ctx = await commandContext();
    const lists = await withDatabase(ctx, async (db) => {
      await requireSchema(db.pool, ctx.tool);
      const { mirror } = await discover(ctx, db);
      const names = mirror.tables.map((t) => t.name);
      // Decommissioned tables left the application schema; they are listed at the end of the plan.
      const retired = await retiredChecklists(db.pool, ctx.tool, mirror);
      const retiredOne = retired.filter((r) => r.table === table);
      if (table !== undefined && !names.includes(table)) {
        if (retiredOne.length > 0) return retiredOne;
        throw new InvalidInputError('table', `${table} is not a mirrored table`);
      }
      const lists = await checklist(db.pool, ctx.tool, mirror, table ? [table] : names, {
        ...flags,
        sources: phaseSources(ctx, db.pool),
      });
      return table ? lists : [...lists, ...retired];
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
    else printChecklist(lists);
  });
}

function registerAdvance(program: Command): void {
  gateOptions(
    program
      .command('advance <table>')
      .description(
        'Move a table to its next phase (or --to an earlier one); refuses an unmet gate and names it',
      )
      .option('--to <phase>', 'the phase to move to (default: the next)')
      .option('--force', 'move past unmet gates (audited; needs --why)')
      .option('--why <reason>', 'why (needed with --force and for moving back)'),
  ).action(
    async (table: string, flags: GateFlags & { to?: string; force?: boolean; why?: string }) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return advancePhase(db.pool, ctx.tool, (await discover(ctx, db)).mirror, table, {
          ...flags,
          sources: phaseSources(ctx, db.pool),
        });
      });
      const forced = result.forcedPast.length
        ? ` (forced past ${result.forcedPast.join(', ')})`
        : '';
      process.stdout.write(`${result.table}: ${result.from} -> ${result.to}${forced}\n`);
    },
  );
}

function registerDrill(program: Command): void {
  const drill = program
    .command('drill')
    .description('Drills whose outcome is recorded as gate evidence');
  drill
    .command('idempotency <table>')
    .description(
      'Replay changes Convex already applied and prove nothing changed there (version and content hash)',
    )
    .option('--limit <n>', 'newest applied changes to replay', wholeNumber(1), 500)
    .option('--now <time>', 'record the evidence at this time (for drills and tests)', instant)
    .action(async (table: string, flags: { limit: number; now?: Date }) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return idempotencyDrill(db.pool, ctx.tool, target, (await discover(ctx, db)).mirror, table, flags);
      });
      process.stdout.write(`${result.table}: ${String(result.evidence.detail.summary)}\n`);
      if (!result.passed) {
        process.stdout.write(`  changed keys: ${result.changedKeys.join(', ') || '-'}\n`);
        process.exitCode = EXIT_FINDINGS;
      }
    });
  drill
    .command('rollback <table>')
    .description(
      "Move the table's reads to postgres and back, and measure how long each running instance took to follow",
    )
    .option(
      '--timeout-ms <ms>',
      'how long each move may take to reach every instance',
      wholeNumber(1),
      5000,
    )
    .option(
      '--stale-ms <ms>',
      'an instance whose heartbeat is older is not running',
      wholeNumber(1),
      5000,
    )
    .option('--now <time>', 'record the evidence at this time (for drills and tests)', instant)
    .action(async (table: string, flags: { timeoutMs: number; staleMs: number; now?: Date }) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return rollbackDrill(db.pool, ctx.tool, (await discover(ctx, db)).mirror, table, {
          timeoutMs: flags.timeoutMs,
          staleAfterMs: flags.staleMs,
          now: flags.now,
          actor: `${os.userInfo().username}@${os.hostname()} (drill)`,
        });
      });
      process.stdout.write(`${result.table}: ${String(result.evidence.detail.summary)}\n`);
      for (const i of result.instances) {
        const ms = (v: number | null) => (v === null ? 'did not follow' : `${v} ms`);
        process.stdout.write(
          `  ${i.id}${i.label ? ` (${i.label})` : ''}\tto postgres: ${ms(i.toPostgresMs)}\tback: ${ms(i.backMs)}\n`,
        );
      }
      if (!result.passed) process.exitCode = EXIT_FINDINGS;
    });
}

function registerFreeze(program: Command): void {
  program
    .command('freeze <table>')
    .description(
      'Reject every Postgres write to the table, drain its outbox and prove parity one last time',
    )
    .requiredOption('--why <reason>', 'why (audited)')
    .option('--dry-run', 'say what would happen, change nothing')
    .option(
      '--recheck',
      'the table is frozen: drain and run the final parity again (after a repair)',
    )
    .option(
      '--drain-timeout-ms <ms>',
      'how long to wait for the relay to drain the outbox',
      wholeNumber(1),
      300_000,
    )
    .action(
      async (
        table: string,
        flags: { why: string; dryRun?: boolean; recheck?: boolean; drainTimeoutMs: number },
      ) => {
        const ctx = await commandContext();
        const target = openConvexTarget(ctx.config);
        const result = await withDatabase(ctx, async (db) => {
          await requireSchema(db.pool, ctx.tool);
          const { mirror } = await discover(ctx, db);
          return freezeTable(db.pool, ctx.tool, mirror, table, {
            ...flags,
            // Against the table's writer: a Convex-written table's pending changes are in the change log.
            finalParity: async (name) =>
              runParity(db.pool, ctx.tool, target, {
                config: mirror,
                tables: [name],
                mode: 'full',
                ...(await writerParityOptions(db.pool, ctx.tool, target)),
              }),
          });
        });
        if (result.dryRun) {
          process.stdout.write(
            `${result.table} (${result.phase}): would freeze; ${result.writersInFlight} writer(s) in flight, ${result.pendingBefore} change(s) pending\n`,
          );
          return;
        }
        process.stdout.write(`${result.table}: ${String(result.evidence?.detail.summary)}\n`);
        if (!result.parityClean) process.exitCode = EXIT_FINDINGS;
      },
    );
  program
    .command('unfreeze <table>')
    .description('Allow Postgres writes to a frozen table again (audited)')
    .requiredOption('--why <reason>', 'why (audited)')
    .action(async (table: string, flags: { why: string }) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return unfreezeTable(db.pool, ctx.tool, (await discover(ctx, db)).mirror, table, flags);
      });
      process.stdout.write(`${result.table}: unfrozen, phase ${result.phase}\n`);
    });
}

function registerArchive(program: Command): void {
  program
    .command('archive <table>')
    .description(
      'Write the table as compressed JSONL, DDL, count and a checksummed manifest, then verify a restore',
    )
    .option('--out <dir>', 'folder to write (created; must be empty)')
    .action(async (table: string, flags: { out?: string }) => {
      const ctx = await commandContext();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const out = flags.out ?? path.join('tandem-archive', `${table}-${stamp}`);
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return archiveTable(db.pool, ctx.tool, (await discover(ctx, db)).mirror, table, { out });
      });
      process.stdout.write(`${table}: ${String(result.evidence.detail.summary)}\n`);
      if (!result.verified) process.exitCode = EXIT_FINDINGS;
    });
  program
    .command('restore <archive>')
    .description(
      'Verify an archive (count and checksums) and restore it into a new or empty schema',
    )
    .requiredOption(
      '--into <schema>',
      'schema to restore into (created when absent; must be empty)',
    )
    .option('--dry-run', 'verify the archive only, write nothing')
    .action(async (archive: string, flags: { into: string; dryRun?: boolean }) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, (db) => restoreArchive(db.pool, archive, flags));
      const what = result.dryRun ? 'verified' : `restored into ${qualifiedName(result.schema, result.table)}`;
      process.stdout.write(`${archive}: ${result.rows} row(s) ${what}, checksums match\n`);
    });
}

function registerDecommission(program: Command): void {
  program
    .command('decommission <table>')
    .description(
      'Retire an archived table: capture removed, table kept (moved or renamed) unless --drop',
    )
    .requiredOption('--src <paths...>', 'sources the guard scans: no SQL may reference the table')
    .option('--retired-schema <schema>', 'schema the table is moved into (default tandem_retired; tandem_retired_<hash> for another toolSchema)')
    .option('--rename-to <name>', 'rename the table in place instead of moving it')
    .option('--drop', 'drop the table (needs --why)')
    .option('--why <reason>', 'why (audited)')
    .action(
      async (
        table: string,
        flags: {
          src: string[];
          retiredSchema?: string;
          renameTo?: string;
          drop?: boolean;
          why?: string;
        },
      ) => {
        const ctx = await commandContext();
        const { scanForTables } = await import('../../scan.js');
        const result = await withDatabase(ctx, async (db) => {
          await requireSchema(db.pool, ctx.tool);
          return decommissionTable(db.pool, ctx.tool, (await discover(ctx, db)).mirror, table, {
            ...flags,
            sources: {
              ...phaseSources(ctx, db.pool),
              guardReferences: async (t) =>
                (await scanForTables(flags.src, { tables: [t] })).findings.map(
                  (f) => `${f.file}:${f.line}`,
                ),
            },
          });
        });
        process.stdout.write(
          `${table}: decommissioned, ${result.keptAs ? `kept as ${result.keptAs}` : 'dropped'}; capture removed\n`,
        );
        addToGuardList(table, ctx.project.legacyTables);
      },
    );
}

/** New SQL naming a decommissioned table must fail CI: the table joins the guard's list. */
function addToGuardList(table: string, legacy: readonly string[]): void {
  if (legacy.includes(table)) return;
  const file = projectConfigFile();
  if (file?.endsWith('.json')) {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { legacyTables?: string[] };
    value.legacyTables = [...(value.legacyTables ?? []), table];
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
    process.stdout.write(
      `${table}: added to legacyTables in ${file}, so tandem guard fails on new SQL naming it\n`,
    );
  } else {
    process.stdout.write(
      `${table}: add "${table}" to legacyTables in ${file ?? 'a tandem.config.json'} so tandem guard fails on new SQL naming it\n`,
    );
  }
}

export function register(program: Command): void {
  registerChecklist(program);
  registerAdvance(program);
  registerDrill(program);
  registerFreeze(program);
  registerArchive(program);
  registerDecommission(program);
}
