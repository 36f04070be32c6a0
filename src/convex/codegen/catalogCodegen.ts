/**
 * `tandem codegen`: live catalog + project config → discovered mirror →
 * Convex schema, run-time table config, _generated and the module map. One
 * run brings the Convex folder in line with the database.
 */
import type { ProjectConfig } from '../../config/projectConfig.js';
import { discoverFromCatalog } from '../../discovery/discoverMirror.js';
import type { Queryable } from '../../postgres/database.js';
import { readCatalog, type Catalog } from '../../postgres/catalog/index.js';
import {
  renderConvexFiles,
  staleRenderedFiles,
  writeRenderedFiles,
} from './convexFiles.js';
import type { SkippedTable } from '../../plan/scope.js';
import type { CatalogMirrorConfig } from './mirrorConfigFromCatalog.js';

export interface CatalogFiles extends CatalogMirrorConfig {
  skipped: SkippedTable[];
  /** Rendered files keyed by path relative to the project root. */
  files: Map<string, string>;
}

export async function renderCatalogFiles(
  rootDir: string,
  catalog: Catalog,
  project: ProjectConfig,
): Promise<CatalogFiles> {
  const discovered = discoverFromCatalog(catalog, project);
  const built = {
    config: discovered.mirror,
    plainReferences: discovered.plainReferences,
    skipped: discovered.skipped,
  };
  const files = new Map<string, string>();
  for (const [file, content] of await renderConvexFiles(rootDir, built.config))
    files.set(file, content);
  return { ...built, files };
}

export interface CodegenResult extends CatalogFiles {
  /** Files written (write mode) or that would change (check mode). */
  changed: string[];
}

export async function codegenFromDatabase(
  db: Queryable,
  rootDir: string,
  project: ProjectConfig,
  options: { check?: boolean } = {},
): Promise<CodegenResult> {
  const catalog = await readCatalog(db, project.schema);
  const rendered = await renderCatalogFiles(rootDir, catalog, project);
  const changed = options.check
    ? staleRenderedFiles(rootDir, rendered.files)
    : writeRenderedFiles(rootDir, rendered.files);
  return { ...rendered, changed };
}
