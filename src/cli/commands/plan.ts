/**
 * `tandem plan [--tables a,b] [--json]`: the migration order derived from the
 * live catalog's foreign keys, with each table's phase, reason, rows and size,
 * and the tables skipped because they cannot be keyed.
 */
import type { Command } from 'commander';
import { formatPlan, planJson, readPlan } from '../../index.js';
import { commandContext, parseList, withDatabase } from '../context.js';

interface PlanFlags {
  tables?: string[];
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Migration order from the foreign keys: phases, reasons, second passes, rows, sizes and skipped tables',
    )
    .option('--tables <list>', 'plan only these mirrored tables (comma-separated)', parseList)
    .option('--json', 'print { order, skipped, tables: { name: { dependsOn, phase, rows, bytes, … } } }')
    .action(async (flags: PlanFlags) => {
      const ctx = await commandContext();
      const plan = await withDatabase(ctx, (db) =>
        readPlan(db.pool, { config: ctx.project, only: flags.tables }),
      );
      process.stdout.write(
        flags.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : formatPlan(plan),
      );
    });
}
