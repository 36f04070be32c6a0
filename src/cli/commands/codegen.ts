/**
 * `tandem codegen [--convex-dir <dir>] [--check]`: writes the mirror
 * configuration (src/mapping/tables.ts) and, into the app's Convex folder, the
 * Tandem kit (tandem.ts, tandem/), its table config and schema fragment, plus
 * schema.ts and _generated/ when the folder has none (docs/codegen.md), from
 * the live catalog and the mirror settings. `--check` writes nothing and exits
 * 1 when any file would change. What it leaves alone is said on stderr.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { codegenFromDatabase } from '../../convex/codegen/catalogCodegen.js';
import { loadMirrorSettings } from '../../mapping/mirrorSettings.js';
import { commandContext, EXIT_FINDINGS, withDatabase } from '../context.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface CodegenFlags {
  check?: boolean;
  settings?: string;
  root: string;
  convexDir: string;
}

export function register(program: Command): void {
  program
    .command('codegen')
    .description(
      "Write src/mapping/tables.ts and Tandem's part of the Convex folder from the live catalog (--check: exit 1 if stale)",
    )
    .option('--check', 'write nothing; exit 1 when a generated file would change')
    .option(
      '--settings <file>',
      'mirror settings as JSON (default: the story site, see docs/codegen.md)',
    )
    .option('--root <dir>', 'project root holding src/mapping/', PROJECT_ROOT)
    .option('--convex-dir <dir>', "the app's Convex functions folder", 'convex')
    .action(async (flags: CodegenFlags) => {
      const ctx = commandContext();
      const settings = loadMirrorSettings(flags.settings);
      const convexDir = path.resolve(flags.convexDir);
      // Paths are reported from the working directory, where the user typed them.
      const shown = (file: string) => path.relative(process.cwd(), path.join(flags.root, file));
      const result = await withDatabase(ctx, (db) =>
        codegenFromDatabase(db.pool, flags.root, convexDir, settings, { check: flags.check }),
      );
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
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
