/** `tandem invariants [--store postgres|convex|both] [--json]`: DOMAIN.md's six invariants in both stores (exit 1 on any violation). */
import { Option, type Command } from 'commander';
import {
  requireSchema,
  runInvariants,
  type InvariantStore,
  openConvexTarget,
} from '../../index.js';
import { commandContext, EXIT_FINDINGS, withDatabase } from '../context.js';

export function register(program: Command): void {
  program
    .command('invariants')
    .description("Check DOMAIN.md's six invariants in Postgres and in Convex, listing each violating key (exit 1 on any)")
    .addOption(new Option('--store <store>', 'which store').choices(['postgres', 'convex', 'both']).default('both'))
    .option('--no-record', 'do not store the run in the history')
    .option('--json', 'print JSON')
    .action(async (flags: { store: InvariantStore | 'both'; record: boolean; json?: boolean }) => {
      const ctx = commandContext();
      const stores: InvariantStore[] = flags.store === 'both' ? ['postgres', 'convex'] : [flags.store];
      const reader = stores.includes('convex') ? openConvexTarget(ctx.config) : null;
      const report = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool);
        return runInvariants(db.pool, reader, { stores, record: flags.record });
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const store of stores) {
          const found = report[store] ?? [];
          process.stdout.write(`${store}: ${found.length === 0 ? 'no violations' : `${found.length} violation(s)`}\n`);
          for (const v of found)
            process.stdout.write(`  ${v.invariant} ${v.name}\t${v.table} ${v.key}\t${v.detail}\n`);
        }
      }
      if (!report.clean) process.exitCode = EXIT_FINDINGS;
    });
}
