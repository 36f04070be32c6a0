/** Reads the catalog and the table sizes, then builds the plan. */
import type { ProjectConfig } from '../config/projectConfig.js';
import type { Queryable } from '../postgres/database.js';
import { readCatalog, readTableStats, type TableStatsOptions } from '../postgres/catalog/index.js';
import { buildPlan, type MigrationPlan } from './buildPlan.js';
import { applyKeyOverrides, planScope } from './scope.js';

export interface ReadPlanOptions extends TableStatsOptions {
  config: ProjectConfig;
  only?: readonly string[];
}

export async function readPlan(db: Queryable, options: ReadPlanOptions): Promise<MigrationPlan> {
  const catalog = applyKeyOverrides(await readCatalog(db, options.config.schema), options.config);
  // Only planned tables are counted: never-mirrored tables are never read.
  const { planned } = planScope(catalog, options.config, options.only);
  const stats = await readTableStats(db, catalog.schema, planned, options);
  return buildPlan(catalog, { config: options.config, only: options.only, stats });
}
