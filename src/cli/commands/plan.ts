/**
 * `tandem plan [--tables a,b] [--json] [--src <paths…>] [--save-groups --why "…"]`:
 * the migration order derived from the live catalog's foreign keys, with each
 * table's phase, reason, rows and size, and the tables skipped because they
 * cannot be keyed; then the write groups (docs/write-cutover.md): the saved
 * ones with their phase and write stage, the ones derived now from the
 * outbox (and the inventory of --src), and write paths crossing groups.
 */
import type { Command } from 'commander';
import os from 'node:os';
import {
  formatPlan,
  InvalidInputError,
  formatWriteGroups,
  planJson,
  readPlan,
  saveWriteGroups,
  schemaStatus,
  writeGroupReport,
  writePathsFromInventory,
  type WriteGroupReport,
} from '../../index.js';
import { commandContext, discover, parseList, withDatabase } from '../context.js';

interface PlanFlags {
  tables?: string[];
  json?: boolean;
  src?: string[];
  saveGroups?: boolean;
  why?: string;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Migration order from the foreign keys: phases, reasons, second passes, rows, sizes and skipped tables; write groups',
    )
    .option('--tables <list>', 'plan only these mirrored tables (comma-separated)', parseList)
    .option(
      '--json',
      'print { order, skipped, tables: { name: { dependsOn, phase, rows, bytes, … } }, writeGroups }',
    )
    .option('--src <paths...>', 'also derive write groups from the inventory of these sources')
    .option('--save-groups', 'save the derived write groups (audited)')
    .option('--why <text>', 'why the groups are saved (required with --save-groups)')
    .action(async (flags: PlanFlags) => {
      const ctx = await commandContext();
      const { plan, groups, saved } = await withDatabase(ctx, async (db) => {
        const plan = await readPlan(db.pool, { config: ctx.project, only: flags.tables });
        // Write groups live in the tool's schema: without it (before init) the plan is printed alone.
        if ((await schemaStatus(db.pool, ctx.tool)).current === 0) {
          if (flags.saveGroups)
            throw new InvalidInputError(
              'save-groups',
              "Tandem's schema does not exist: run tandem init first",
            );
          return { plan, groups: null, saved: null };
        }
        const tables = (await discover(ctx, db)).mirror.tables.map((t) => t.name);
        let writePaths: ReturnType<typeof writePathsFromInventory> = [];
        if (flags.src) {
          // The inventory loads the TypeScript compiler: only when asked for.
          const { buildInventory } = await import('../../scan.js');
          writePaths = writePathsFromInventory(await buildInventory(flags.src));
        }
        let groups: WriteGroupReport = await writeGroupReport(db.pool, ctx.tool, {
          tables,
          writePaths,
          log: ctx.log,
        });
        let saved = null;
        if (flags.saveGroups) {
          saved = await saveWriteGroups(db.pool, ctx.tool, groups.derived, {
            actor: `${os.userInfo().username}@${os.hostname()} (cli)`,
            why: flags.why ?? '',
          });
          groups = await writeGroupReport(db.pool, ctx.tool, { tables, writePaths, log: ctx.log });
        }
        return { plan, groups, saved };
      });
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ ...planJson(plan), writeGroups: groups }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(formatPlan(plan));
      if (groups) process.stdout.write(formatWriteGroups(groups));
      else process.stdout.write('\nwrite groups: run tandem init first\n');
      if (saved)
        process.stdout.write(
          `\nsaved write groups: ${saved.added.length} added, ${saved.changed.length} changed, ${saved.removed.length} removed, ${saved.unchanged.length} unchanged\n`,
        );
    });
}
