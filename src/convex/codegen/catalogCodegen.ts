/**
 * `tandem codegen`: live catalog + project config → discovered mirror → the
 * Convex folder's kit, table config, schema fragment and _generated
 * (convexFiles.ts). One run brings the Convex folder in line with the database.
 */
import path from 'node:path';
import type { ProjectConfig } from '../../config/projectConfig.js';
import { discoverFromCatalog } from '../../discovery/discoverMirror.js';
import type { SkippedTable } from '../../plan/scope.js';
import type { Queryable } from '../../postgres/database.js';
import { readCatalog, type Catalog } from '../../postgres/catalog/index.js';
import { renderConvexFiles } from './convexFiles.js';
import type { CatalogMirrorConfig } from './mirrorConfigFromCatalog.js';
import { staleFiles, writeFiles } from './writeFiles.js';

export interface CatalogFiles extends CatalogMirrorConfig {
  /** Tables discovery left out for want of a key. */
  skipped: SkippedTable[];
  /** Rendered files keyed by path relative to the project root. */
  files: Map<string, string>;
  /** Kit files Tandem wrote earlier and no longer produces, relative to the project root. */
  obsolete: string[];
  /** Files in the Convex folder Tandem left alone, and why. */
  notes: string[];
}

export async function renderCatalogFiles(
  rootDir: string,
  convexDir: string,
  catalog: Catalog,
  project: ProjectConfig,
): Promise<CatalogFiles> {
  const discovered = discoverFromCatalog(catalog, project);
  const convex = await renderConvexFiles(convexDir, discovered.mirror);
  const fromRoot = (rel: string) =>
    path.relative(rootDir, path.join(convex.convexDir, rel)).split(path.sep).join('/');
  const files = new Map<string, string>();
  for (const [file, content] of convex.files) files.set(fromRoot(file), content);
  return {
    config: discovered.mirror,
    plainReferences: discovered.plainReferences,
    skipped: discovered.skipped,
    files,
    obsolete: convex.obsolete.map(fromRoot),
    notes: convex.notes,
  };
}

export interface CodegenResult extends CatalogFiles {
  /** Files written (write mode) or that would change (check mode). */
  changed: string[];
}

export async function codegenFromDatabase(
  db: Queryable,
  rootDir: string,
  convexDir: string,
  project: ProjectConfig,
  options: { check?: boolean } = {},
): Promise<CodegenResult> {
  const catalog = await readCatalog(db, project.schema);
  const rendered = await renderCatalogFiles(rootDir, convexDir, catalog, project);
  const changed = options.check ? staleFiles(rootDir, rendered) : writeFiles(rootDir, rendered);
  return { ...rendered, changed };
}
