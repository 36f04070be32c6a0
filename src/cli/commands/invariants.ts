/**
 * `tandem invariants [--store postgres|convex|both] [--json]`: the invariant
 * suites the project config lists, checked in both stores (exit 1 on any
 * violation).
 */
import { Option, type Command } from 'commander';
import { loadInvariantSuites } from '../../index.js';
import { requireSchema } from '../../index.js';
import { runInvariants, type InvariantStore } from '../../index.js';
import { openConvexTarget } from '../../index.js';
import { commandContext, EXIT_FINDINGS, withDatabase } from '../context.js';

export function register(program: Command): void {
  program
    .command('invariants')
    .description(
      "Check the config's invariant suites in Postgres and in Convex, listing each violating key (exit 1 on any)",
    )
    .addOption(new Option('--store <store>', 'which store').choices(['postgres', 'convex', 'both']).default('both'))
    .option('--no-record', 'do not store the run in the history')
    .option('--json', 'print JSON')
    .action(async (flags: { store: InvariantStore | 'both'; record: boolean; json?: boolean }) => {
      const ctx = await commandContext();
      const stores: InvariantStore[] = flags.store === 'both' ? ['postgres', 'convex'] : [flags.store];
      const suites = await loadInvariantSuites(ctx.project);
      if (suites.length === 0) {
        process.stdout.write('no invariant suites configured (see invariants in docs/configuration.md)\n');
        return;
      }
      const reader = stores.includes('convex') ? openConvexTarget(ctx.config) : null;
      const report = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return runInvariants(db.pool, ctx.tool, reader, { suites, stores, record: flags.record });
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
