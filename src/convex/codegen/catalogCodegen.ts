/**
 * `tandem codegen`: live catalog + mirror settings → mirror configuration
 * (src/mapping/tables.ts) → the Convex folder's kit, table config, schema
 * fragment and _generated (convexFiles.ts). Every file is rendered from the
 * configuration built in this run (not from the tables.ts loaded at
 * start-up), so one run brings the Convex folder in line with the database.
 */
import path from 'node:path';
import type { MirrorSettings } from '../../mapping/mirrorSettings.js';
import type { Queryable } from '../../postgres/database.js';
import { readCatalog, type Catalog } from '../../postgres/catalog/index.js';
import { format, renderConvexFiles } from './convexFiles.js';
import { mirrorConfigFromCatalog, type CatalogMirrorConfig } from './mirrorConfigFromCatalog.js';
import { MIRROR_CONFIG_PATH, renderMirrorConfig } from './renderMirrorConfig.js';
import { staleFiles, writeFiles } from './writeFiles.js';

export interface CatalogFiles extends CatalogMirrorConfig {
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
  settings: MirrorSettings,
): Promise<CatalogFiles> {
  const built = mirrorConfigFromCatalog(catalog, settings);
  const convex = await renderConvexFiles(convexDir, built.config);
  const fromRoot = (rel: string) =>
    path.relative(rootDir, path.join(convex.convexDir, rel)).split(path.sep).join('/');
  const files = new Map<string, string>([
    [
      MIRROR_CONFIG_PATH,
      await format(renderMirrorConfig(built.config, catalog.schema, built.plainReferences)),
    ],
  ]);
  for (const [file, content] of convex.files) files.set(fromRoot(file), content);
  return { ...built, files, obsolete: convex.obsolete.map(fromRoot), notes: convex.notes };
}

export interface CodegenResult extends CatalogFiles {
  /** Files written or removed (write mode), or that would be (check mode). */
  changed: string[];
}

export async function codegenFromDatabase(
  db: Queryable,
  rootDir: string,
  convexDir: string,
  settings: MirrorSettings,
  options: { check?: boolean } = {},
): Promise<CodegenResult> {
  const catalog = await readCatalog(db, settings.schema);
  const rendered = await renderCatalogFiles(rootDir, convexDir, catalog, settings);
  const changed = options.check ? staleFiles(rootDir, rendered) : writeFiles(rootDir, rendered);
  return { ...rendered, changed };
}
