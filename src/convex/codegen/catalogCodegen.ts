/**
 * `tandem codegen`: live catalog + mirror settings → mirror configuration
 * (src/mapping/tables.ts) → Convex schema, run-time table config, _generated
 * and the module map. Every file is rendered from the configuration built in
 * this run (not from the tables.ts loaded at start-up), so one run brings
 * convex/ in line with the database.
 */
import type { MirrorSettings } from '../../mapping/mirrorSettings.js';
import type { Queryable } from '../../postgres/database.js';
import { readCatalog, type Catalog } from '../../postgres/catalog/index.js';
import {
  format,
  renderConvexFiles,
  staleRenderedFiles,
  writeRenderedFiles,
} from './convexFiles.js';
import { mirrorConfigFromCatalog, type CatalogMirrorConfig } from './mirrorConfigFromCatalog.js';
import { MIRROR_CONFIG_PATH, renderMirrorConfig } from './renderMirrorConfig.js';

export interface CatalogFiles extends CatalogMirrorConfig {
  /** Rendered files keyed by path relative to the project root. */
  files: Map<string, string>;
}

export async function renderCatalogFiles(
  rootDir: string,
  catalog: Catalog,
  settings: MirrorSettings,
): Promise<CatalogFiles> {
  const built = mirrorConfigFromCatalog(catalog, settings);
  const files = new Map<string, string>([
    [
      MIRROR_CONFIG_PATH,
      await format(renderMirrorConfig(built.config, catalog.schema, built.plainReferences)),
    ],
  ]);
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
  settings: MirrorSettings,
  options: { check?: boolean } = {},
): Promise<CodegenResult> {
  const catalog = await readCatalog(db, settings.schema);
  const rendered = await renderCatalogFiles(rootDir, catalog, settings);
  const changed = options.check
    ? staleRenderedFiles(rootDir, rendered.files)
    : writeRenderedFiles(rootDir, rendered.files);
  return { ...rendered, changed };
}
