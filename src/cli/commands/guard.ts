/**
 * `tandem guard [paths…]`: fails (exit 1) when SQL in the code names a legacy
 * table (the project config's legacyTables), or one of the tables given. Warnings (SQL that does not parse, an
 * unreadable file) go to stderr and do not change the exit code.
 */
import type { Command } from 'commander';
import { scanForTables } from '../../scan.js';
import { formatScanWarning } from '../../scan.js';
import { commandContext, EXIT_FINDINGS, parseList } from '../context.js';

interface GuardFlags {
  tables?: string[];
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('guard')
    .description("Fail when SQL in the code touches the config's legacy tables (or the tables given)")
    .argument('[paths...]', 'files or directories to scan (default: src)')
    .option(
      '--tables <names>',
      'comma-separated tables to look for (default: legacyTables from the config)',
      parseList,
    )
    .option('--json', 'print the findings as a JSON list')
    .action(async (paths: string[], flags: GuardFlags) => {
      const ctx = await commandContext();
      const result = await scanForTables(paths, {
        tables: flags.tables ?? ctx.project.legacyTables,
      });
      for (const warning of result.warnings)
        process.stderr.write(`${formatScanWarning(warning)}\n`);
      if (flags.json) {
        const list = result.findings.map(({ file, line, column, table, statement }) => ({
          file,
          line,
          column,
          table,
          statement,
        }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      } else {
        for (const f of result.findings)
          process.stdout.write(`${f.file}:${f.line}:${f.column} ${f.table} ${f.statement}\n`);
        const summary = `${result.findings.length} finding(s), ${result.warnings.length} warning(s) in ${result.filesScanned} file(s)`;
        process.stderr.write(`tandem guard: ${summary}\n`);
      }
      process.exitCode = result.findings.length > 0 ? EXIT_FINDINGS : 0;
    });
}
