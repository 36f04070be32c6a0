/**
 * `tandem inventory [paths…]`: lists every SQL write site of an application, as
 * Markdown (stdout, or the file given with --out) or as JSON. Warnings go to
 * stderr; the exit code is 0 whatever is found (this is a report, not a check).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { buildInventory } from '../../scan.js';
import { inventoryMarkdown } from '../../scan.js';
import { formatScanWarning } from '../../scan.js';
import { commandContext } from '../context.js';

interface InventoryFlags {
  json?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('inventory')
    .description(
      'List every SQL write site (route handlers, server actions, pages, scripts) with its tables',
    )
    .argument('[paths...]', 'files or directories to scan (default: the current directory)')
    .option('--json', 'print { sites: [...] } as JSON on stdout')
    .option(
      '--out <file>',
      'write the Markdown document to this file (e.g. docs/migration-inventory.md)',
    )
    .action(async (paths: string[], flags: InventoryFlags) => {
      const inventory = await buildInventory(paths);
      for (const warning of inventory.warnings)
        process.stderr.write(`${formatScanWarning(warning)}\n`);
      // Tables in the config's preferred order (no database needed for a scan).
      const ctx = await commandContext();
      const markdown = inventoryMarkdown(inventory, ctx.project.include ?? []);
      if (flags.out) {
        await fs.mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
        await fs.writeFile(flags.out, markdown);
        process.stderr.write(
          `tandem inventory: wrote ${flags.out} (${inventory.sites.length} write sites)\n`,
        );
      }
      if (flags.json)
        process.stdout.write(`${JSON.stringify({ sites: inventory.sites }, null, 2)}\n`);
      else if (!flags.out) process.stdout.write(markdown);
    });
}
