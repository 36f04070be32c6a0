/**
 * What every command needs: validated configuration, a logger, and a database
 * opened the way the configuration says (closed again however the command ends).
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../index.js';
import { findConfigFile, loadProjectConfig } from '../index.js';
import type { ProjectConfig } from '../index.js';
import { TandemError } from '../index.js';
import { discoverMirror, type DiscoveredMirror } from '../index.js';
import { createLogger, type Logger } from '../index.js';
import { openDatabase, type Database } from '../index.js';
import type { PhaseSources, Queryable } from '../index.js';
import { toolSchemaOf, type ToolSchema } from '../index.js';
import { planPhaseSources } from './phaseSources.js';

export interface CommandContext {
  /** The environment: where Postgres and Convex are, ports, tokens. */
  config: Config;
  /** The project config file (or the defaults): what to mirror and how. */
  project: ProjectConfig;
  /** Tandem's own schema, as the project config names it. */
  tool: ToolSchema;
  log: Logger;
}

let configFileOption: string | undefined;

/** The global `--config <file>` option, set before a command's action runs. */
export function setConfigFileOption(file: string | undefined): void {
  configFileOption = file;
}

/** The project config file in use, or null when the defaults apply. */
export function projectConfigFile(): string | null {
  return findConfigFile({ file: configFileOption });
}

export async function commandContext(): Promise<CommandContext> {
  const project = await loadProjectConfig({ file: configFileOption });
  const config = loadConfig(process.env, process.cwd(), {
    convexUrlVariable: project.convex.urlVariable,
    convexKeyVariable: project.convex.keyVariable,
    mirrorWaitMs: project.mirror.waitMs,
    alertWebhookVariable: project.alerts.webhook.urlVariable,
  });
  return { config, project, tool: toolSchemaOf(project), log: createLogger(config.logLevel) };
}

/**
 * The app's Convex folder: `convex.dir` of the project config, relative to the
 * config file (to the working directory when there is none).
 */
export function projectConvexDir(project: ProjectConfig): string {
  return path.resolve(project.file ? path.dirname(project.file) : process.cwd(), project.convex.dir);
}

/**
 * Discovery for a command: the mirrored tables from the live catalog and the
 * project config. Tables skipped for want of a key are logged once here, so
 * every command reports them the same way.
 */
export async function discover(ctx: CommandContext, db: Database): Promise<DiscoveredMirror> {
  const discovered = await discoverMirror(db.pool, ctx.project);
  for (const s of discovered.skipped) ctx.log.info({ table: s.table }, `skipped: ${s.reason}`);
  return discovered;
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

/** The phases' sources in a command: the project's alert rules, the database's write stages. */
export function phaseSources(ctx: CommandContext, db: Queryable): PhaseSources {
  return planPhaseSources(db, ctx.tool, ctx.project.alerts);
}

/** Who a command's audited change is recorded as: the user and host running the CLI. */
export const cliActor = (): string => `${os.userInfo().username}@${os.hostname()} (cli)`;
