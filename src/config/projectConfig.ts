/**
 * The project configuration: what the live catalog cannot say about a
 * migration. Every key is optional — with no config file at all, Tandem
 * mirrors every table of schema `public` that has a primary key — and every
 * key is validated here, once, so a typo is an error naming the file and the
 * key rather than a setting silently ignored.
 *
 * The file is `tandem.config.{ts,mjs,json}` at the project root or the one
 * named by `--config` / `TANDEM_CONFIG` (loadProjectConfig.ts reads it).
 */
import type { ShadowSettings } from '../cutover/reader.js';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { InvariantSuite } from '../parity/invariantSuite.js';
import type { ApplicationPlugin } from '../application/plugin.js';
import { alertsConfigSchema, resolveAlertPolicy, type AlertPolicy } from '../alerts/rules.js';
import { DEFAULT_TOOL_SCHEMA_NAME, schemaNameProblem, toolSchemaNameProblem } from '../core/toolSchema.js';

/**
 * A table or column name as Tandem uses it: table names become Convex table
 * names and appear in generated code, so they keep to the characters both sides
 * accept without quoting tricks. Schema names never reach Convex: they are only
 * written in SQL, always quoted, so they may be any name Postgres can quote.
 */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier ([a-z_][a-z0-9_]*)')
  .max(63, 'Postgres identifiers are at most 63 bytes');

const tableList = z.array(identifier);

/**
 * Tables left out: any name the schema may hold, so a table whose name Convex
 * cannot take (`"Line Item"`) can be excluded to silence its skip notice.
 * (`legacyTables` stays lower-case: the guard reads those names as SQL, where
 * an unquoted name folds to lower case and a dot separates the schema.)
 */
const excludedTableList = z.array(z.string().min(1, 'must not be empty'));

const heavyColumns = z
  .object({
    /** Name of the companion Convex table holding the heavy columns (default `<table>_content`). */
    table: identifier.optional(),
    columns: z.array(identifier).min(1, 'name at least one heavy column'),
  })
  .strict();

const envVariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** A duration: seconds as a number, or text such as `500ms`, `30s`, `2m`, `1h`. */
const duration = z.union([
  z.number().min(0, 'must be >= 0 (seconds)'),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 500ms, 30s, 2m or 1h'),
]);

const rollbackRule = z
  .object({
    /** Breached when the signal is above this (rates are shares 0–1). */
    threshold: z.number().min(0, 'must be >= 0'),
    /** How long the breach must last before the table is rolled back (default 0: at once). */
    for: duration.default(0),
    /** Rates only: fewest reads or events in the window before the rate counts (default 10). */
    minSamples: z.number().int().min(1).optional(),
  })
  .strict();

const shareOfReads = z.number().min(0, 'must be a share of reads from 0 to 1').max(1, 'must be a share of reads from 0 to 1');
const SOME_SHARE = 'must be a share of reads above 0 and at most 1';

const rollbackRules = z
  .object({
    mirrorFailureRate: rollbackRule.optional(),
    outboxLagSeconds: rollbackRule.optional(),
    deadLetters: rollbackRule.optional(),
    parityDrift: rollbackRule.optional(),
    shadowDriftRate: rollbackRule.optional(),
    convexReadErrorRate: rollbackRule.optional(),
  })
  .strict();

export const projectConfigSchema = z
  .object({
    /** The application's Postgres schema (any quotable name; checked below). */
    schema: z.string().default('public'),
    /** Tandem's own schema (outbox, checkpoints, history, audit). */
    toolSchema: z.string().default(DEFAULT_TOOL_SCHEMA_NAME),
    /**
     * Only these tables are mirrored, and this order is preferred where foreign
     * keys leave a choice. Absent: every table with a primary key.
     */
    include: tableList.optional(),
    /** Tables never mirrored; foreign keys to them stay plain values. */
    exclude: excludedTableList.default([]),
    /**
     * Tables that runtime code must no longer touch (`tandem guard`). They
     * are never mirrored either.
     */
    legacyTables: tableList.default([]),
    /** Heavy columns per table, kept in a companion Convex table written in the same mutation. */
    heavy: z.record(identifier, heavyColumns).default({}),
    /**
     * Key for a table without a primary key: the columns of a unique index
     * whose columns are all NOT NULL.
     */
    keys: z.record(identifier, z.array(identifier).min(1, 'name the key columns')).default({}),
    /**
     * Invariant suites: module paths (relative to the config file) whose
     * default export is an invariant suite, checked in both stores.
     */
    invariants: z
      .array(
        z.union([
          z.string().min(1),
          z.custom<InvariantSuite>(
            (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
            'an invariant suite object or a module path',
          ),
        ]),
      )
      .default([]),
    /**
     * The application plug-in: a module path (relative to the config file)
     * whose default export is an ApplicationPlugin (src/application/plugin.ts),
     * for the commands that run the application: sample, dev, demo, serve.
     */
    app: z
      .union([
        z.string().min(1),
        z.custom<ApplicationPlugin>(
          (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
          'an application plug-in object or a module path',
        ),
      ])
      .optional(),
    convex: z
      .object({
        /** Environment variable holding the Convex deployment URL. */
        urlVariable: envVariableName.default('CONVEX_URL'),
        /** Environment variable holding its admin or deploy key. */
        keyVariable: envVariableName.default('CONVEX_DEPLOY_KEY'),
        /** The app's Convex functions folder, where `tandem codegen` writes. */
        dir: z.string().min(1).default('convex'),
      })
      .strict()
      .default({ urlVariable: 'CONVEX_URL', keyVariable: 'CONVEX_DEPLOY_KEY', dir: 'convex' }),
    mirror: z
      .object({
        /** How long a mirrored write waits for Convex (ms); 0 = asynchronous. */
        waitMs: z.number().int().min(0).max(60_000).optional(),
      })
      .strict()
      .default({}),
    /** Read cutover: automatic rollback rules (docs/read-cutover.md). */
    cutover: z
      .object({
        rollback: z
          .object({
            /** Rules for every table without its own entry. */
            default: rollbackRules.default({}),
            /** Rules per table (replacing the defaults for that table). */
            tables: z.record(identifier, rollbackRules).default({}),
            /** The window rates are computed over (seconds). */
            windowSeconds: z.number().int().min(1).max(3600).default(60),
          })
          .strict()
          .default({ default: {}, tables: {}, windowSeconds: 60 }),
        /** How the application's reads at `shadow` are compared (the Reader's `shadow` options). */
        shadow: z
          .object({
            /** `ab`: Postgres against Convex; `aa`: Postgres against itself, the noise floor. */
            mode: z.enum(['ab', 'aa']).optional(),
            /** Longest a request waits for the Convex read after Postgres answered (ms). */
            waitMs: z.number().int().min(0).max(60_000).optional(),
            /** A Convex read slower than this is an error (ms). */
            timeoutMs: z.number().int().min(1).max(600_000).optional(),
            /** Share of shadow-stage reads that also read Convex. */
            sampleRate: shareOfReads.optional(),
            /** Most comparisons started per second for one read (by its name); reads over it go uncompared. */
            maxPerSecond: z.number().positive('must be a positive number of comparisons per second').max(1_000_000).optional(),
            /** Most comparisons as a share of every read routed, all paths together; reads over it go uncompared. */
            maxShare: z.number().gt(0, SOME_SHARE).max(1, SOME_SHARE).optional(),
            /** Most comparisons under way at once; a read finding that many goes uncompared (counted skipped). */
            maxInFlight: z.number().int().min(1).max(1_000_000).optional(),
            /** A share per read, by the application's read name (its routed read methods). */
            sampleRates: z.record(z.string().min(1, 'must not be empty'), shareOfReads).default({}),
          })
          .strict()
          .default({ sampleRates: {} }),
      })
      .strict()
      .default({ rollback: { default: {}, tables: {}, windowSeconds: 60 }, shadow: { sampleRates: {} } }),
    /** Alert rules, evaluated in-process and exportable to Prometheus (docs/alerts.md). */
    alerts: alertsConfigSchema.prefault({}),
  })
  .strict();

export type RollbackSignal = keyof z.output<typeof rollbackRules>;

export interface RollbackRule {
  threshold: number;
  forMs: number;
  minSamples: number;
}

export type RollbackRules = Partial<Record<RollbackSignal, RollbackRule>>;

export interface RollbackPolicy {
  default: RollbackRules;
  tables: Record<string, RollbackRules>;
  windowSeconds: number;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value)!;
  return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

function resolveRules(rules: z.output<typeof rollbackRules>): RollbackRules {
  return Object.fromEntries(
    Object.entries(rules)
      .filter(([, r]) => r !== undefined)
      .map(([signal, r]) => [signal, { threshold: r!.threshold, forMs: durationMs(r!.for), minSamples: r!.minSamples ?? 10 }]),
  );
}

export type ProjectConfigInput = z.input<typeof projectConfigSchema>;

export interface HeavyColumnsSetting {
  table: string;
  columns: string[];
}

/** The resolved configuration every command and the library read. */
export interface ProjectConfig {
  /** The file it came from, or null for the defaults. */
  file: string | null;
  schema: string;
  toolSchema: string;
  include: string[] | null;
  exclude: string[];
  legacyTables: string[];
  heavy: Record<string, HeavyColumnsSetting>;
  keys: Record<string, string[]>;
  /** Invariant suites: absolute module paths, or suites given inline by a .ts/.mjs config. */
  invariants: Array<string | InvariantSuite>;
  /** The application plug-in: an absolute module path, one given inline by a .ts/.mjs config, or null. */
  app: string | ApplicationPlugin | null;
  convex: { urlVariable: string; keyVariable: string; dir: string };
  mirror: { waitMs: number | undefined };
  /** Read cutover settings: automatic rollback rules (`for` in ms) and how shadow reads are compared. */
  cutover: { rollback: RollbackPolicy; shadow: ShadowSettings };
  /** Alert rules per table, durations in ms. */
  alerts: AlertPolicy;
}

/** Type-checked config authoring for `tandem.config.ts` / `.mjs`. */
export function defineConfig(config: ProjectConfigInput): ProjectConfigInput {
  return config;
}

function describeIssue(issue: z.core.$ZodIssue): { key: string; message: string } {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    const where = key ? `${key}.` : '';
    return {
      key: key || '(root)',
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${names} (not a setting${where ? ` of ${key}` : ''})`,
    };
  }
  return { key: key || '(root)', message: issue.message };
}

/**
 * Validates a config value; errors name the file and the key. Cross-key
 * rules (a table both included and excluded, heavy columns of an excluded
 * table) are checked here too; rules that need the catalog (does the table
 * exist?) are checked by discovery.
 */
export function parseProjectConfig(
  value: unknown,
  file: string | null,
  resolveModule: (specifier: string) => string = (s) => s,
): ProjectConfig {
  const source = file ?? 'config';
  const parsed = projectConfigSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const { key, message } = describeIssue(parsed.error.issues[0]!);
    throw new ConfigError(`${source}: ${key}`, message);
  }
  const c = parsed.data;
  // Any name Postgres can quote (see toolSchema.ts); the tool schema also no `$`.
  const schemaProblem = schemaNameProblem(c.schema);
  if (schemaProblem) throw new ConfigError(`${source}: schema`, schemaProblem);
  const toolProblem = toolSchemaNameProblem(c.toolSchema);
  if (toolProblem) throw new ConfigError(`${source}: toolSchema`, toolProblem);
  if (c.schema === c.toolSchema)
    throw new ConfigError(`${source}: toolSchema`, `must differ from the application schema "${c.schema}"`);
  const never = new Set([...c.exclude, ...c.legacyTables]);
  for (const table of c.include ?? []) {
    if (never.has(table))
      throw new ConfigError(
        `${source}: include`,
        `${table} is also listed in ${c.exclude.includes(table) ? 'exclude' : 'legacyTables'}`,
      );
  }
  if (c.include && new Set(c.include).size !== c.include.length)
    throw new ConfigError(`${source}: include`, 'lists a table twice');
  for (const table of [...Object.keys(c.heavy), ...Object.keys(c.keys)]) {
    if (never.has(table)) {
      const key = c.heavy[table] ? 'heavy' : 'keys';
      throw new ConfigError(`${source}: ${key}.${table}`, 'the table is excluded from the mirror');
    }
  }
  return {
    file,
    schema: c.schema,
    toolSchema: c.toolSchema,
    include: c.include ?? null,
    exclude: [...new Set(c.exclude)],
    legacyTables: [...new Set(c.legacyTables)],
    heavy: Object.fromEntries(
      Object.entries(c.heavy).map(([table, h]) => [
        table,
        { table: h.table ?? `${table}_content`, columns: h.columns },
      ]),
    ),
    keys: c.keys,
    invariants: c.invariants.map((i) => (typeof i === 'string' ? resolveModule(i) : i)),
    app: c.app === undefined ? null : typeof c.app === 'string' ? resolveModule(c.app) : c.app,
    convex: c.convex,
    mirror: { waitMs: c.mirror.waitMs },
    cutover: {
      rollback: {
        default: resolveRules(c.cutover.rollback.default),
        tables: Object.fromEntries(
          Object.entries(c.cutover.rollback.tables).map(([table, rules]) => [table, resolveRules(rules)]),
        ),
        windowSeconds: c.cutover.rollback.windowSeconds,
      },
      shadow: c.cutover.shadow,
    },
    alerts: resolveAlertPolicy(c.alerts, source),
  };
}

/** The configuration with no file: every table of `public` with a primary key. */
export const DEFAULT_PROJECT_CONFIG: ProjectConfig = parseProjectConfig({}, null);

/** Tables that are never mirrored: excluded ones and legacy ones. */
export function neverMirrored(config: ProjectConfig): Set<string> {
  return new Set([...config.exclude, ...config.legacyTables]);
}
