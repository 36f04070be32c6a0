/**
 * `tandem codegen [--check]`: writes the mirror configuration
 * (src/mapping/tables.ts) and the Convex files (convex/schema.ts,
 * convex/mirror/tables.ts, convex/_generated/*, src/convex/convexModules.ts)
 * from the live catalog and the mirror settings. `--check` writes nothing and
 * exits 1 when any file would change.
 */
import type { Command } from 'commander';
import { codegenFromDatabase } from '../../codegen.js';
import { loadMirrorSettings, PACKAGE_ROOT } from '../../index.js';
import { commandContext, EXIT_FINDINGS, withDatabase } from '../context.js';

interface CodegenFlags {
  check?: boolean;
  settings?: string;
  root: string;
}

export function register(program: Command): void {
  program
    .command('codegen')
    .description(
      'Write src/mapping/tables.ts and convex/ from the live catalog (--check: exit 1 if stale)',
    )
    .option('--check', 'write nothing; exit 1 when a generated file would change')
    .option(
      '--settings <file>',
      'mirror settings as JSON (default: the story site, see docs/codegen.md)',
    )
    .option('--root <dir>', 'project root holding convex/ and src/', PACKAGE_ROOT)
    .action(async (flags: CodegenFlags) => {
      const ctx = commandContext();
      const settings = loadMirrorSettings(flags.settings);
      const result = await withDatabase(ctx, (db) =>
        codegenFromDatabase(db.pool, flags.root, settings, { check: flags.check }),
      );
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
