/**
 * What every command needs: validated configuration, a logger, and a database
 * opened the way the configuration says (closed again however the command ends).
 */
import {
  loadConfig,
  type Config,
  TandemError,
  createLogger,
  type Logger,
  openDatabase,
  type Database,
} from '../index.js';

export interface CommandContext {
  config: Config;
  log: Logger;
}

export function commandContext(): CommandContext {
  const config = loadConfig();
  return { config, log: createLogger(config.logLevel) };
}

export async function withDatabase<T>(
  ctx: CommandContext,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(ctx.config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Exit codes: 0 ok, 1 a check found something (drift, a guard finding), 2 the command could not run. */
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

export function reportFatal(err: unknown): never {
  if (err instanceof TandemError) {
    process.stderr.write(`tandem: ${err.message}\n`);
  } else {
    process.stderr.write(`tandem: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(EXIT_ERROR);
}

/** Parses a comma-separated CLI list (`--tables a,b`). */
export function parseList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}
