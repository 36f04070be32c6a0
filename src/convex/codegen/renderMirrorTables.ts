/**
 * Renders tandem/tables.ts (in the app's Convex folder): the part of the mirror configuration the
 * Convex functions need at run time (keys, foreign keys, heavy columns, column
 * names), as a plain copy so that the folder deploys without code from Tandem's src/.
 */
import {
  foreignKeyIndex,
  heavyColumnSet,
  refField,
  type MirrorConfig,
} from '../../mapping/tableConfig.js';
import { GENERATED_NOTICE } from './notice.js';

export function renderMirrorTables(config: MirrorConfig): string {
  const entries = config.tables.map((table) => {
    const heavy = heavyColumnSet(table);
    const value = {
      primaryKey: table.primaryKey,
      columns: table.columns.filter((c) => !heavy.has(c.name)).map((c) => c.name),
      foreignKeys: table.foreignKeys.map((fk) => ({
        column: fk.column,
        references: fk.references,
        refField: refField(fk.column),
        index: foreignKeyIndex(fk.column),
      })),
      content: table.heavy
        ? {
            table: table.heavy.table,
            columns: table.columns.filter((c) => heavy.has(c.name)).map((c) => c.name),
          }
        : null,
    };
    return `  ${table.name}: ${JSON.stringify(value)},`;
  });
  return [
    GENERATED_NOTICE,
    `import type { MirroredTable } from "./types.js";`,
    ``,
    `export const MIRRORED_TABLES: Record<string, MirroredTable> = {`,
    ...entries,
    `};`,
    ``,
  ].join('\n');
}
