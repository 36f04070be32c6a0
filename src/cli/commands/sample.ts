/**
 * `tandem sample --scale <s> [--seed <n>] [--force]`: fills the configured
 * database with the application's deterministic sample data (its plug-in's
 * `sample`, named by the config's `app`), with a progress bar on stderr and a
 * row-count summary on stdout.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { InvalidInputError, requireApplication, type SampleProgress } from '../../index.js';
import { commandContext, withDatabase } from '../context.js';

interface SampleFlags {
  scale: string;
  seed?: string;
  force?: boolean;
  referenceDate?: string;
}

function parseNumber(field: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidInputError(field, `not a number: ${value}`);
  return n;
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidInputError('reference-date', `not a date: ${value}`);
  return date;
}

/** A bar on a terminal; one plain line per finished table otherwise (logs, CI). */
export function progressReporter(planned: Record<string, number>): { update(e: SampleProgress): void; stop(): void } {
  const total = Object.values(planned).reduce((a, b) => a + b, 0);
  const done = new Map<string, number>();
  const sum = () => [...done.values()].reduce((a, b) => a + b, 0);
  if (!process.stderr.isTTY) {
    return {
      update(e) {
        done.set(e.table, e.inserted);
        if (e.inserted === e.planned)
          process.stderr.write(
            `tandem sample: ${e.table} ${e.inserted} rows (${sum()}/${total})\n`,
          );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} rows | {table} | ETA {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { table: '' });
  return {
    update(e) {
      done.set(e.table, e.inserted);
      bar.update(sum(), { table: e.table });
    },
    stop: () => bar.stop(),
  };
}

export function register(program: Command): void {
  program
    .command('sample')
    .description(
      "Create the application's tables where absent and fill them with deterministic sample data (the config's app plug-in)",
    )
    .option('--scale <s>', 'size: 1 = the application\'s full sample (the story site: 100 languages, 2,000 stories, 100,000 reads); any positive number', '1')
    .option('--seed <n>', "random seed: the same seed and scale give the same rows (default: the application's)")
    .option('--force', "empty the application's tables first when they hold rows")
    .option(
      '--reference-date <iso>',
      '"now" for what the sample dates relative to it (the story site: contributors / contributors_past; default: now)',
    )
    .action(async (flags: SampleFlags) => {
      const scale = parseNumber('scale', flags.scale);
      const referenceDate = parseDate(flags.referenceDate);
      const ctx = await commandContext();
      const { sample } = await requireApplication(ctx.project, 'sample', ['sample']);
      const seed = flags.seed === undefined ? sample.defaultSeed : parseNumber('seed', flags.seed);
      const planned = sample.plannedCounts(scale); // validates before any connection is opened
      const counts = await withDatabase(ctx, async (db) => {
        const progress = progressReporter(planned);
        try {
          return await sample.generate(db.pool, {
            scale,
            seed,
            force: flags.force,
            referenceDate,
            onProgress: progress.update,
          });
        } finally {
          progress.stop();
        }
      });
      const width = Math.max(...Object.keys(counts).map((t) => t.length));
      for (const [table, rows] of Object.entries(counts)) {
        process.stdout.write(`${table.padEnd(width)}  ${String(rows).padStart(9)}\n`);
      }
    });
}
