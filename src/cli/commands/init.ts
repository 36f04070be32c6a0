/** `tandem init`: creates or upgrades Tandem's own schema in the configured database. */
import type { Command } from 'commander';
import { discoverMirror, loadMigrations, migrate, schemaStatus } from '../../index.js';
import { commandContext, withDatabase } from '../context.js';

export function register(program: Command): void {
  program
    .command('init')
    .description(`Create or upgrade Tandem's own schema (toolSchema in the project config, default "tandem"; numbered migrations, safe to run repeatedly)`)
    .action(async () => {
      const ctx = await commandContext();
      await withDatabase(ctx, async (db) => {
        // The config's schema, tables, columns and keys are checked against the database the way
        // plan and capture install check them, before the tool schema is written: a config naming
        // a table that does not exist is refused here rather than at the next command.
        await discoverMirror(db.pool, ctx.project);
        const applied = await migrate(db.pool, ctx.tool);
        const status = await schemaStatus(db.pool, ctx.tool);
        const names = new Map(loadMigrations().map((m) => [m.version, m.name]));
        for (const version of applied) {
          process.stdout.write(`applied ${String(version).padStart(4, '0')}_${names.get(version)}\n`);
        }
        process.stdout.write(
          applied.length === 0
            ? `schema ${ctx.tool.sql} already current (version ${status.current}) in ${db.describe}\n`
            : `schema ${ctx.tool.sql} now at version ${status.current} in ${db.describe}\n`,
        );
      });
    });
}
