/**
 * Which tables a plan covers: the mirrored tables the settings name (or every
 * table of the schema but the never-mirrored ones), optionally narrowed by
 * `--tables`. Never-mirrored tables (the legacy auth tables among them) are
 * refused outright, so they can never end up in a plan.
 */
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { MirrorSettings } from '../mapping/mirrorSettings.js';
import type { Catalog } from '../postgres/catalog/index.js';

export interface PlanScope {
  /** Every mirrored table, in the settings' preferred order (else by name). */
  mirrored: string[];
  /** The tables this plan orders (mirrored, or the --tables subset). */
  planned: string[];
  notMirrored: Set<string>;
}

function requireTablesExist(catalog: Catalog, tables: readonly string[], field: string): void {
  const present = new Set(catalog.tables.map((t) => t.name));
  for (const table of tables) {
    if (!present.has(table))
      throw new NotFoundError(`table ${catalog.schema}.${table}`, table, field);
  }
}

export function planScope(
  catalog: Catalog,
  settings: MirrorSettings,
  only?: readonly string[],
): PlanScope {
  const notMirrored = new Set(settings.notMirrored);
  let mirrored: string[];
  if (settings.tables) {
    requireTablesExist(catalog, settings.tables, 'settings.tables');
    mirrored = [...new Set(settings.tables)].filter((t) => !notMirrored.has(t));
  } else {
    mirrored = catalog.tables.map((t) => t.name).filter((t) => !notMirrored.has(t));
  }
  if (!only || only.length === 0) return { mirrored, planned: mirrored, notMirrored };
  const wanted = new Set(only);
  for (const table of wanted) {
    if (notMirrored.has(table)) throw new InvalidInputError('tables', `${table} is never mirrored`);
    if (!mirrored.includes(table)) {
      requireTablesExist(catalog, [table], 'tables');
      throw new InvalidInputError('tables', `${table} is not one of the mirrored tables`);
    }
  }
  return { mirrored, planned: mirrored.filter((t) => wanted.has(t)), notMirrored };
}
