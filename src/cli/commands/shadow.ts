/** `tandem shadow report [--json]`: what shadow reads found, per table and class, with samples. */
import type { Command } from 'commander';
import { requireSchema, shadowReport, type ShadowTableReport } from '../../index.js';
import { commandContext, withDatabase } from '../context.js';
import { wholeNumber } from '../optionParsers.js';

function formatTables(title: string, tables: Record<string, ShadowTableReport>): string[] {
  const names = Object.keys(tables);
  if (names.length === 0) return [];
  const lines = [title, 'table\tcompared\tmatch\tlag\tdrift\terror\tskipped'];
  for (const name of names) {
    const t = tables[name]!;
    lines.push(`${name}\t${t.compared}\t${t.match}\t${t.lag}\t${t.drift}\t${t.error}\t${t.skipped}`);
    for (const s of t.samples)
      lines.push(`  ${s.at} ${s.class} ${s.read}: ${s.detail ?? ''}\n    postgres: ${s.postgres}\n    convex:   ${s.convex}`);
  }
  return lines;
}

export function register(program: Command): void {
  program
    .command('shadow')
    .description('Shadow reads (Postgres served, Convex compared)')
    .command('report')
    .description('comparisons per table and class (match, lag, drift, error), reads skipped uncompared, and the newest samples')
    .option('--json', 'print JSON: { tables: { <table>: { compared, match, lag, drift, error, skipped, samples } }, aa }')
    .option('--samples <n>', 'samples per table', wholeNumber(0, 100), 3)
    .action(async (opts: { json?: boolean; samples: number }) => {
      const ctx = await commandContext();
      const report = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return shadowReport(db.pool, ctx.tool, { samples: opts.samples });
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const lines = [...formatTables('Postgres vs Convex', report.tables), ...formatTables('A/A (Postgres vs Postgres)', report.aa)];
      process.stdout.write(`${lines.length ? lines.join('\n') : 'no shadow reads recorded'}\n`);
    });
}
