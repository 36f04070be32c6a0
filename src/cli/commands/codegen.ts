/**
 * `tandem codegen [--convex-dir <dir>] [--check]`: writes, into the app's
 * Convex folder, the Tandem kit (tandem.ts, tandem/), its table config and
 * schema fragment, plus schema.ts and _generated/ when the folder has none
 * (docs/codegen.md), from the live catalog and the project config. `--check`
 * writes nothing and exits 1 when any file would change. What it leaves alone
 * is said on stderr; tables it skips (no key) on stdout.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { codegenFromDatabase } from '../../codegen.js';
import { commandContext, EXIT_FINDINGS, projectConvexDir, withDatabase } from '../context.js';

interface CodegenFlags {
  check?: boolean;
  convexDir?: string;
}

export function register(program: Command): void {
  program
    .command('codegen')
    .description(
      "Write Tandem's part of the app's Convex folder from the live catalog and the config (--check: exit 1 if stale)",
    )
    .option('--check', 'write nothing; exit 1 when a generated file would change')
    .option(
      '--convex-dir <dir>',
      "the app's Convex functions folder (default: convex.dir of the config, else ./convex)",
    )
    .action(async (flags: CodegenFlags) => {
      const ctx = await commandContext();
      const cwd = process.cwd();
      // A folder named in the config is relative to the config file, like its other paths.
      const convexDir = flags.convexDir
        ? path.resolve(cwd, flags.convexDir)
        : projectConvexDir(ctx.project);
      // Paths are reported from the working directory, where the user typed them.
      const shown = (file: string) => path.relative(cwd, path.join(cwd, file));
      const result = await withDatabase(ctx, (db) =>
        codegenFromDatabase(db.pool, cwd, convexDir, ctx.project, { check: flags.check }),
      );
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      for (const s of result.skipped) process.stdout.write(`skipped ${s.table} (${s.reason})\n`);
      for (const ref of result.plainReferences) {
        ctx.log.debug(
          { table: ref.table, constraint: ref.constraint, why: ref.why },
          'foreign key kept as plain value',
        );
      }
      if (flags.check) {
        for (const file of result.changed) process.stdout.write(`stale: ${shown(file)}\n`);
        if (result.changed.length > 0) {
          process.stdout.write('run `tandem codegen` to regenerate\n');
          process.exitCode = EXIT_FINDINGS;
        } else {
          process.stdout.write(`up to date (${result.config.tables.length} tables)\n`);
        }
        return;
      }
      for (const file of result.changed)
        process.stdout.write(`${result.files.has(file) ? 'wrote' : 'removed'} ${shown(file)}\n`);
      if (result.changed.length === 0)
        process.stdout.write(`up to date (${result.config.tables.length} tables)\n`);
    });
}
