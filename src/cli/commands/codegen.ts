/**
 * `tandem codegen [--check]`: writes the Convex files (convex/schema.ts,
 * convex/mirror/tables.ts, convex/_generated/*, src/convex/convexModules.ts)
 * from the live catalog and the project config. `--check` writes nothing and
 * exits 1 when any file would change.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { codegenFromDatabase } from '../../convex/codegen/catalogCodegen.js';
import { commandContext, EXIT_FINDINGS, withDatabase } from '../context.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface CodegenFlags {
  check?: boolean;
  root: string;
}

export function register(program: Command): void {
  program
    .command('codegen')
    .description(
      'Write convex/ from the live catalog and the project config (--check: exit 1 if stale)',
    )
    .option('--check', 'write nothing; exit 1 when a generated file would change')
    .option('--root <dir>', 'project root holding convex/ and src/', PROJECT_ROOT)
    .action(async (flags: CodegenFlags) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, (db) =>
        codegenFromDatabase(db.pool, flags.root, ctx.project, { check: flags.check }),
      );
      for (const s of result.skipped) process.stdout.write(`skipped ${s.table} (${s.reason})\n`);
      for (const ref of result.plainReferences) {
        ctx.log.debug(
          { table: ref.table, constraint: ref.constraint, why: ref.why },
          'foreign key kept as plain value',
        );
      }
      if (flags.check) {
        for (const file of result.changed) process.stdout.write(`stale: ${file}\n`);
        if (result.changed.length > 0) {
          process.stdout.write('run `tandem codegen` to regenerate\n');
          process.exitCode = EXIT_FINDINGS;
        } else {
          process.stdout.write(`up to date (${result.config.tables.length} tables)\n`);
        }
        return;
      }
      for (const file of result.changed) process.stdout.write(`wrote ${file}\n`);
      if (result.changed.length === 0)
        process.stdout.write(`up to date (${result.config.tables.length} tables)\n`);
    });
}
