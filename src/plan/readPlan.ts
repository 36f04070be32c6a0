/** Reads the catalog and the table sizes, then builds the plan. */
import type { MirrorSettings } from '../mapping/mirrorSettings.js';
import type { Queryable } from '../postgres/database.js';
import { readCatalog, readTableStats, type TableStatsOptions } from '../postgres/catalog/index.js';
import { buildPlan, type MigrationPlan } from './buildPlan.js';
import { planScope } from './scope.js';

export interface ReadPlanOptions extends TableStatsOptions {
  settings: MirrorSettings;
  only?: readonly string[];
}

export async function readPlan(db: Queryable, options: ReadPlanOptions): Promise<MigrationPlan> {
  const catalog = await readCatalog(db, options.settings.schema);
  // Only planned tables are counted: never-mirrored tables are never read.
  const { planned } = planScope(catalog, options.settings, options.only);
  const stats = await readTableStats(db, catalog.schema, planned, options);
  return buildPlan(catalog, { settings: options.settings, only: options.only, stats });
}
