/**
 * Discovery: what to mirror, from the live catalog and the project config.
 * Every command that touches mirrored tables starts here, so they all agree
 * on the same tables, columns, keys and heavy columns, whichever application
 * the database belongs to. Nothing is remembered between runs: the catalog is
 * the application's, and its DDL can change under us.
 */
import type { ProjectConfig } from '../config/projectConfig.js';
import {
  mirrorConfigFromCatalog,
  type PlainReference,
} from '../convex/codegen/mirrorConfigFromCatalog.js';
import type { MirrorConfig } from '../mapping/tableConfig.js';
import { applyKeyOverrides, planScope, type SkippedTable } from '../plan/scope.js';
import type { Queryable } from '../postgres/database.js';
import { readCatalog, type Catalog } from '../postgres/catalog/index.js';

export interface DiscoveredMirror {
  project: ProjectConfig;
  /** The application schema's catalog, with the config's key overrides applied. */
  catalog: Catalog;
  /** The mirrored tables in plan order, parents first. */
  mirror: MirrorConfig;
  /** Tables that would be mirrored but cannot be keyed, with the reason. */
  skipped: SkippedTable[];
  /** Foreign keys kept as plain values (no ref_* field), with the reason. */
  plainReferences: PlainReference[];
}

/** Discovery over a catalog already read (pure). */
export function discoverFromCatalog(rawCatalog: Catalog, project: ProjectConfig): DiscoveredMirror {
  const catalog = applyKeyOverrides(rawCatalog, project);
  const { skipped } = planScope(catalog, project);
  const { config, plainReferences } = mirrorConfigFromCatalog(catalog, project);
  return { project, catalog, mirror: config, skipped, plainReferences };
}

/** Reads the application schema's catalog and works out the mirror. */
export async function discoverMirror(
  db: Queryable,
  project: ProjectConfig,
): Promise<DiscoveredMirror> {
  return discoverFromCatalog(await readCatalog(db, project.schema), project);
}

/**
 * The mirrored tables a command works on: all of them, or the `--tables`
 * subset, each checked (an unknown, excluded or unkeyable table is an error
 * naming it, before anything is written).
 */
export function selectTables(discovered: DiscoveredMirror, only?: readonly string[]): string[] {
  const planned = new Set(planScope(discovered.catalog, discovered.project, only).planned);
  return discovered.mirror.tables.map((t) => t.name).filter((t) => planned.has(t));
}
