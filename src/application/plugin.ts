/**
 * An application plug-in: what the commands that run an application — not
 * just its tables — need from it (`tandem sample`, `dev`, `demo`, `serve`).
 * The project config names its module (`app`), loaded like the invariant
 * suites; the tool never imports an application. Every part is optional: a
 * command that needs a part the plug-in lacks refuses, naming the part.
 * The story site's is examples/story-site/src/plugin.ts.
 */
import type pg from 'pg';
import type { WriteRunner } from '../core/writeRunner.js';
import { ConfigError } from '../core/errors.js';
import type { ParityReader } from '../convex/target.js';
import type { ReadFlags } from '../cutover/readFlags.js';
import type { ReaderOptions, ShadowSettings } from '../cutover/reader.js';
import type { ConvexMutations } from '../writeCutover/convexWrites.js';
import type { WriteCutoverMetrics } from '../writeCutover/metrics.js';
import type { WritePath, WriteStageSource } from '../writeCutover/index.js';
import type { ApiApplication } from '../http/server.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';
import type { ConvexFunctionRunner } from '../keys/refill.js';

export interface SampleProgress {
  table: string;
  inserted: number;
  planned: number;
}

export interface SampleOptions {
  scale: number;
  seed: number;
  /** Empty the tables first when they hold rows (else the generator refuses with a ConflictError). */
  force?: boolean;
  /** "Now" for whatever the data dates relative to it (default: now). */
  referenceDate?: Date;
  onProgress?: (e: SampleProgress) => void;
}

/** Deterministic sample data: the same seed and scale give the same rows. */
export interface ApplicationSample {
  defaultSeed: number;
  /** What a scale of 1 means, for `--help`. */
  scaleHelp?: string;
  /** Rows per table at this scale; throws InvalidInputError for a scale it cannot make. */
  plannedCounts(scale: number): Record<string, number>;
  /** Creates the application's tables where absent and fills them; returns the rows per table. */
  generate(db: Queryable, options: SampleOptions): Promise<Record<string, number>>;
}

export interface ApplicationHttpContext {
  pool: pg.Pool;
  /** Tandem's own schema (the project config's toolSchema): the read and write cutover state lives there. */
  tool: ToolSchema;
  log: Logger;
  /** How writes run: the mirror helper when the process mirrors; absent, the application's own transactions. */
  runner?: WriteRunner;
  /**
   * Present when reads may move to Convex: the read stages (`tandem flags`), a
   * Convex to query, and what the application's Reader is given so its reads
   * are seen: `recorder` (shadow results, for `tandem shadow report`),
   * `metrics` (on the host's registry, served at /metrics) and `stats` (what
   * the automatic rollback rules read). Pass all three to `new Reader({ … })`,
   * with `shadow` (the project config's `cutover.shadow`) as its shadow
   * options, and `shadow.sampleRates` to `routedReads`' `sampleRate`.
   */
  reads?: {
    flags: ReadFlags;
    convex: Pick<ParityReader, 'query'>;
    shadow: ShadowSettings;
  } & Required<Pick<ReaderOptions<unknown>, 'recorder' | 'metrics' | 'stats'>>;
  /**
   * Present when writes may move to Convex: the write stages (`tandem flags
   * --writes`), a Convex to run the application's mutations on, and optionally
   * a scratch deployment for groups at `convex-shadow` (else those comparisons
   * are counted skipped).
   */
  writes?: {
    stages: WriteStageSource;
    convex: ConvexMutations;
    shadow?: ConvexMutations;
    metrics?: WriteCutoverMetrics;
  };
}

/** The application's routes on Tandem's HTTP host, and the path a person starts from. */
export interface ApplicationHttp extends ApiApplication {
  /** A path shown in banners and the demo's summary as the application's API (e.g. `/api/courses`). */
  entry?: string;
}

export interface DemoTrafficOptions {
  /** The HTTP host's URL, serving the application's routes. */
  baseUrl: string;
  /** A bearer token per role (the dev tokens). */
  tokens: { reader: string; editor: string; admin: string };
  pool: pg.Pool;
  rounds: number;
  seed: number;
  /** The number of the first round (default 1): a later call goes on from where an earlier one stopped. */
  firstRound?: number;
}

export interface DemoTrafficResult {
  requests: number;
  /** Writes made with SQL behind the mirror helper's back (capture still catches them). */
  rawSqlWrites: number;
  /** Requests answered otherwise than expected, one line each. */
  unexpected: string[];
}

/** What the application's Convex write paths need before a write group's writer becomes Convex. */
export interface WriteCutoverPreparation {
  /**
   * The application's write paths with the tables each one writes in its
   * transaction: the write groups `tandem demo --to-the-end` derives take
   * them with the outbox's transactions, so a path the demo's traffic did
   * not happen to run at its widest (a rename that copied no names) still
   * joins its tables.
   */
  writePaths?: readonly WritePath[];
  /**
   * Makes the Convex side ready to run the write paths of `tables` (for
   * example: ids reserved from the Postgres sequences, reference data the
   * mutations check against). Called by `tandem demo --to-the-end` before the
   * group's writes move; safe to call again.
   */
  prepare(context: {
    pool: pg.Pool;
    tool: ToolSchema;
    /** The application schema holding `tables` (the resolved project config's `schema`). */
    schema: string;
    convex: ConvexFunctionRunner;
    tables: readonly string[];
  }): Promise<void>;
}

export interface ApplicationPlugin {
  /** Shown in messages and banners. */
  name: string;
  /** Creates the application's tables where absent (`tandem dev` without `--sample`). */
  createSchema?(db: Queryable): Promise<void>;
  sample?: ApplicationSample;
  /** The application's HTTP API, served by `serve`, `dev` and `demo` beside the control room. */
  http?(context: ApplicationHttpContext): ApplicationHttp;
  /** Live traffic through its HTTP API for `tandem demo`, over every write path. */
  demoTraffic?(options: DemoTrafficOptions): Promise<DemoTrafficResult>;
  /** Present when the application's write paths can run in Convex (the write cutover). */
  writeCutover?: WriteCutoverPreparation;
}

const PARTS = ['createSchema', 'http', 'demoTraffic'] as const;

/** Checks a loaded module's default export; errors name where it came from and what is wrong. */
export function requireApplicationPlugin(value: unknown, where: string): ApplicationPlugin {
  if (typeof value !== 'object' || value === null)
    throw new ConfigError(where, 'the module\'s default export must be an application plug-in object');
  const p = value as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name === '') throw new ConfigError(where, 'the plug-in has no name');
  for (const part of PARTS) {
    if (p[part] !== undefined && typeof p[part] !== 'function')
      throw new ConfigError(where, `${part} must be a function`);
  }
  if (p.writeCutover !== undefined && typeof (p.writeCutover as { prepare?: unknown } | null)?.prepare !== 'function')
    throw new ConfigError(where, 'writeCutover must have a prepare function');
  const writePaths = (p.writeCutover as { writePaths?: unknown } | undefined)?.writePaths;
  if (writePaths !== undefined && !Array.isArray(writePaths))
    throw new ConfigError(where, 'writeCutover.writePaths must be a list of { name, tables, source }');
  if (p.sample !== undefined) {
    const s = p.sample as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || typeof s.generate !== 'function' || typeof s.plannedCounts !== 'function' || typeof s.defaultSeed !== 'number')
      throw new ConfigError(where, 'sample must have defaultSeed, plannedCounts and generate');
  }
  return value as ApplicationPlugin;
}
