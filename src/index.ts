/**
 * Tandem's public API (`import … from 'tandem'`). The CLI uses only this module
 * and its siblings `tandem/scan` (src/scan.ts), `tandem/codegen`
 * (src/codegen.ts) and `tandem/convex` (src/convexSide.ts); those are kept
 * apart because they load heavy dependencies (the TypeScript compiler, the
 * Postgres parser, prettier) or run inside Convex. docs/library.md documents it.
 */

// Configuration, logging, errors and the change contract.
export {
  loadConfig,
  parseForcedTables,
  DEFAULTS,
  ROLES,
  type Config,
  type EnvironmentNames,
  type Role,
  type TokenEntry,
} from './config.js';
export { createLogger, silentLogger, type Logger } from './log.js';
export * from './core/errors.js';
export * from './core/changes.js';
export { PACKAGE_ROOT, packagePath } from './packageRoot.js';
export {
  toolSchema,
  toolSchemaOf,
  toolSchemaNameProblem,
  schemaNameProblem,
  toolScopedName,
  toolLockKey,
  DEFAULT_TOOL_SCHEMA,
  DEFAULT_TOOL_SCHEMA_NAME,
  type ToolSchema,
} from './core/toolSchema.js';

// Postgres: connections, the embedded default, the tool's schema, the catalog.
export {
  openDatabase,
  createPool,
  embeddedDataDir,
  withTransaction,
  withRetriedTransaction,
  isRetryableTransactionError,
  type Database,
  type DatabaseKind,
  type Queryable,
  type TransactionOptions,
} from './postgres/database.js';
export {
  startEmbeddedPostgres,
  type EmbeddedOptions,
  type EmbeddedPostgres,
} from './postgres/embedded.js';
export { PGLITE_SHARED_BUFFERS } from './postgres/pgliteDataDir.js';
export {
  readDevStack,
  writeDevStack,
  removeDevStack,
  devStackFile,
  type DevStackInfo,
} from './postgres/devStack.js';
export {
  migrate,
  requireSchema,
  schemaStatus,
  loadMigrations,
  renderMigration,
  SchemaOutOfDateError,
  type Migration,
  type SchemaStatus,
} from './postgres/migrate.js';
// The catalog reader's public part; its other functions serve the tool's own modules.
export * from './postgres/catalog/types.js';
export {
  readCatalog,
  readTableStats,
  EXACT_COUNT_BELOW,
  type TableStats,
  type TableStatsOptions,
} from './postgres/catalog/index.js';

// The project config (what to mirror) and discovery from the live catalog.
export {
  defineConfig,
  parseProjectConfig,
  projectConfigSchema,
  neverMirrored,
  DEFAULT_PROJECT_CONFIG,
  type ProjectConfig,
  type ProjectConfigInput,
  type HeavyColumnsSetting,
  type RollbackPolicy,
  type RollbackRule,
  type RollbackRules,
  type RollbackSignal,
} from './config/projectConfig.js';
export {
  loadProjectConfig,
  findConfigFile,
  importModule,
  CONFIG_FILE_NAMES,
  type LoadProjectConfigOptions,
} from './config/loadProjectConfig.js';
export { loadInvariantSuites } from './config/invariantSuites.js';
export {
  discoverMirror,
  discoverFromCatalog,
  selectTables,
  type DiscoveredMirror,
} from './discovery/discoverMirror.js';
export {
  mirrorConfigFromCatalog,
  type CatalogMirrorConfig,
  type PlainReference,
} from './convex/codegen/mirrorConfigFromCatalog.js';
export type { WriteRunner } from './core/writeRunner.js';

// Value mapping (pure).
export * from './mapping/index.js';

// The data path: plan, capture, mirror helper and relay, backfill, parity and repair.
export * from './plan/index.js';
export * from './capture/index.js';
export { MirrorRunner, type MirrorOptions, type MirrorOutcome } from './relay/mirrorRunner.js';
export {
  Relay,
  DEFAULT_RELAY_OPTIONS,
  type RelayDeps,
  type RelayOptions,
  type RelaySummary,
  type SchemaWatch,
} from './relay/relay.js';
export { diffTableShape, describeShapeChange, type ShapeChange, type RetypedColumn } from './capture/tableShape.js';
export { mirrorMapper } from './relay/changeMapper.js';
export type { ApplyTarget, ChangeMapper } from './relay/applyClaimed.js';
export { createRelayMetrics, registerOutboxGauges, type RelayMetrics } from './relay/metrics.js';
// Reverse sync: Convex's change log applied to Postgres after a write cutover (docs/reverse-sync.md).
export * from './reverseSync/index.js';
export { serveMetrics, type MetricsServer } from './relay/metricsServer.js';
export { openConvexTarget } from './relay/openTarget.js';
export { outboxDrained, outboxLag, type OutboxLag } from './outbox/outboxStore.js';
export {
  listDeadLetters,
  retryDeadLetters,
  discardDeadLetter,
  type DeadLetter,
} from './outbox/deadLetters.js';
export {
  CircuitBreaker,
  DEFAULT_BREAKER,
  DEFAULT_RETRY_POLICY,
  type BreakerOptions,
  type RetryPolicy,
} from './relay/retryPolicy.js';
export { packTransactions, DEFAULT_PACKING, type PackingLimits } from './relay/packing.js';
export * from './backfill/index.js';
export * from './parity/index.js';

// Tandem's HTTP host: auth by bearer token, the error envelope, route declarations
// with their OpenAPI document, liveness and readiness, and an application's routes.
export { ANONYMOUS, requireRole, type Actor } from './http/actor.js';
export { checkAccess, indexTokens, resolveActor, type Access, type TokenIndex } from './http/auth.js';
export { mapError, RETRY_AFTER_SECONDS, type ErrorBody, type ErrorTranslator } from './http/errors.js';
export { addRoute, type RouteSpec } from './http/routeKit.js';
export { bodyForCreate, bodyWithPath, idParam, intParam, objectBody, stringParam, withPathTargets, type PathTarget } from './http/params.js';
export { bodyFromInput, errorEnvelope, type JsonSchema } from './http/schemas.js';
export { databaseReadiness, type ConvexProbe, type Readiness } from './http/routes/system.js';
export {
  createApiServer,
  DEFAULT_BODY_LIMIT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ApiApplication,
  type ApiServerOptions,
} from './http/server.js';
export type { ControlRoomRouting } from './http/routes/controlRoom.js';

// Application plug-ins: what sample, dev, demo and serve run of an application (the config's `app`).
export * from './application/plugin.js';
export { loadApplication, requireApplication } from './application/loadApplication.js';

// Convex: the target port and its implementations, and the local stand-in.
export * from './convex/index.js';
export type {
  HashedRow,
  KeyRange,
  ParityReader,
  RowHash,
} from './convex/target.js';
export {
  createLocalConvex,
  generateAdminKey,
  type LocalConvex,
  type LocalConvexOptions,
  type LocalConvexStats,
} from './convexLocal/server.js';
export { CorruptDataError, DataDirLockedError, LoadAbortedError } from './convexLocal/dataDirErrors.js';
export type { CompactionOptions, DurabilityStats } from './convexLocal/persistence.js';
export type { LoadReport } from './convexLocal/recovery.js';

// Phases and gates: the per-table checklist, drills, freeze (docs/phases.md).
export * from './phases/index.js';

// Read cutover: stages, flags, the read router, shadow reads, OpenFeature, automatic rollback.
export * from './cutover/index.js';

// Alert rules: evaluator, history, sinks, Prometheus export (docs/alerts.md).
export * from './alerts/index.js';
// Write cutover keys: ids for rows created in Convex, reserved from the Postgres sequences (docs/write-cutover-keys.md).
export * from './keys/index.js';
// The control-room page (dashboard/, bundled into dist/dashboard), served at `/` (docs/dashboard.md).
export { registerDashboard, DASHBOARD_CSP, DASHBOARD_DIST_DIR, type DashboardOptions } from './dashboard/serveDashboard.js';

// The control room's server side: overview, time series, flags, dead letters, audit (docs/control-room-api.md).
export * from './controlRoom/index.js';
// Write cutover: write groups, write stages with audit and refusals, the write router (docs/write-cutover.md).
export * from './writeCutover/index.js';
