/**
 * `tandem plan [--tables a,b] [--json]`: the migration order derived from the
 * live catalog's foreign keys, with each table's phase, reason, rows and size.
 */
import type { Command } from 'commander';
import { loadMirrorSettings, formatPlan, planJson, readPlan } from '../../index.js';
import { commandContext, parseList, withDatabase } from '../context.js';

interface PlanFlags {
  tables?: string[];
  json?: boolean;
  settings?: string;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Migration order from the foreign keys: phases, reasons, second passes, rows and sizes',
    )
    .option('--tables <list>', 'plan only these mirrored tables (comma-separated)', parseList)
    .option('--json', 'print { order, tables: { name: { dependsOn, phase, rows, bytes, … } } }')
    .option(
      '--settings <file>',
      'mirror settings as JSON (default: the story site, see docs/codegen.md)',
    )
    .action(async (flags: PlanFlags) => {
      const ctx = commandContext();
      const settings = loadMirrorSettings(flags.settings);
      const plan = await withDatabase(ctx, (db) =>
        readPlan(db.pool, { settings, only: flags.tables }),
      );
      process.stdout.write(
        flags.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : formatPlan(plan),
      );
    });
}
