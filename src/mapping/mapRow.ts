/**
 * Whole rows and captured changes → Convex documents. Shared by the apply
 * path (mapChange) and parity (mapRow + canonicalHash).
 */
import { canonicalKey, type CapturedChange, type MappedChange } from '../core/changes.js';
import { mapColumnValue } from './columnValue.js';
import { DOCUMENT_SIZE_MARGIN, MAX_DOCUMENT_BYTES } from './convexLimits.js';
import { MappingError, mappingError } from './mappingError.js';
import { contentDocumentBytes, mainDocumentBytes, rememberBytes, valueBytes } from './size.js';
import { findTable, heavyColumnSet, type MirrorConfig, type TableConfig } from './tableConfig.js';
import { utcKeyText } from './timestamp.js';

export interface MappedRow {
  table: string;
  key: string;
  /** Every configured column, mapped (heavy ones included). */
  columns: Record<string, unknown>;
}

const NO_COLUMNS: ReadonlySet<string> = new Set();

function resolveTable(
  table: string | TableConfig,
  config: MirrorConfig | undefined,
  key: string,
): TableConfig {
  if (typeof table !== 'string') return table;
  const found = config && findTable(config, table);
  if (!found)
    throw new MappingError(
      table,
      key,
      null,
      'unknown-table',
      'table is not in the mirror configuration',
    );
  return found;
}

/**
 * Maps one Postgres row (to_jsonb image or node-postgres row). Every configured
 * column must be present and no other: a column added or dropped in Postgres
 * after the config was generated would otherwise be lost silently.
 */
export function mapRow(
  table: string | TableConfig,
  pgRow: Record<string, unknown>,
  /** Needed when `table` is given by name. */
  config?: MirrorConfig,
  /** Heavy columns the trigger left out because the update did not change them. */
  omitted: ReadonlySet<string> = NO_COLUMNS,
): MappedRow {
  const tableConfig = resolveTable(table, config, '?');
  const key = rowKey(tableConfig, pgRow);
  const site = { table: tableConfig.name, key, column: null as string | null };
  const known = new Set(
    tableConfig.columns.map((c) => c.name).filter((name) => !omitted.has(name)),
  );
  for (const name of Object.keys(pgRow)) {
    if (!known.has(name))
      throw mappingError(
        { ...site, column: name },
        'unknown-column',
        'column is not in the mirror configuration',
      );
  }
  const columns: Record<string, unknown> = {};
  for (const column of tableConfig.columns) {
    if (omitted.has(column.name)) continue;
    const columnSite = { ...site, column: column.name };
    if (!(column.name in pgRow))
      throw mappingError(columnSite, 'missing-column', 'row has no value for this column');
    columns[column.name] = mapColumnValue(column, pgRow[column.name], columnSite);
  }
  return { table: tableConfig.name, key, columns };
}

/**
 * Canonical key text of a row (see canonicalKey in core/changes). A
 * timestamptz key column's text is its instant in UTC (utcKeyText), as the
 * trigger writes it, whatever offset the image was printed with.
 */
export function rowKey(table: TableConfig, pgRow: Record<string, unknown>): string {
  return canonicalKey(
    table.primaryKey.map((name) => {
      const value = pgRow[name];
      if (table.columns.find((c) => c.name === name)?.type !== 'timestamptz') return value;
      return utcKeyText(value) ?? value;
    }),
  );
}

/** Splits mapped columns into the table's own document and its companion (heavy) document. */
export function splitHeavy(
  table: TableConfig,
  columns: Record<string, unknown>,
): { doc: Record<string, unknown>; content?: Record<string, unknown> } {
  if (!table.heavy) return { doc: columns };
  const heavy = heavyColumnSet(table);
  const doc: Record<string, unknown> = {};
  const content: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(columns))
    (heavy.has(name) ? content : doc)[name] = value;
  return { doc, content };
}

/**
 * Refuses a document Convex would reject for size (main and companion counted
 * separately); the error names the document's largest column.
 */
export function checkDocumentSizes(
  table: TableConfig,
  key: string,
  doc: Record<string, unknown>,
  content?: Record<string, unknown>,
): void {
  const limit = MAX_DOCUMENT_BYTES - DOCUMENT_SIZE_MARGIN;
  const check = (bytes: number, columns: Record<string, unknown>, what: string) => {
    rememberBytes(columns, bytes);
    if (bytes <= limit) return;
    const site = { table: table.name, key, column: largestColumn(columns) };
    throw mappingError(site, 'document-size', `${what} of about ${bytes} bytes exceeds ${limit}`);
  };
  check(mainDocumentBytes(table, key, doc), doc, 'document');
  if (content)
    check(
      contentDocumentBytes(key, content),
      content,
      `companion document (${table.heavy?.table})`,
    );
}

function largestColumn(columns: Record<string, unknown>): string | null {
  let largest: string | null = null;
  let largestBytes = -1;
  for (const [name, value] of Object.entries(columns)) {
    const bytes = valueBytes(value);
    if (bytes > largestBytes) [largest, largestBytes] = [name, bytes];
  }
  return largest;
}

/** Maps one outbox row into the change the Convex apply function takes. */
export function mapChange(
  captured: CapturedChange,
  config: MirrorConfig,
): MappedChange {
  const table = resolveTable(captured.table, config, captured.key);
  const base = { table: table.name, key: captured.key, version: captured.seq };
  if (captured.op === 'delete') return { ...base, op: 'delete' };
  if (!captured.row)
    throw mappingError({ ...base, column: null }, 'type', `${captured.op} without a row image`);
  const omitted = unchangedHeavyColumns(table, captured);
  const mapped = mapRow(table, captured.row, config, omitted);
  if (mapped.key !== captured.key) {
    throw mappingError(
      { ...base, column: null },
      'primary-key',
      `row image has key ${mapped.key}, outbox says ${captured.key}`,
    );
  }
  const { doc, content } = splitHeavy(table, mapped.columns);
  if (omitted.size > 0) {
    checkDocumentSizes(table, captured.key, doc);
    return { ...base, op: 'upsert', doc, keepContent: true };
  }
  checkDocumentSizes(table, captured.key, doc, content);
  return content ? { ...base, op: 'upsert', doc, content } : { ...base, op: 'upsert', doc };
}

/**
 * The columns an update's image left out. Capture leaves out all of a table's
 * heavy columns or none; anything else means the trigger and the mirror
 * configuration disagree, and guessing would store wrong content.
 */
function unchangedHeavyColumns(table: TableConfig, captured: CapturedChange): ReadonlySet<string> {
  const unchanged = captured.unchanged ?? [];
  if (unchanged.length === 0) return NO_COLUMNS;
  const heavy = heavyColumnSet(table);
  const site = { table: table.name, key: captured.key, column: null };
  if (captured.op !== 'update')
    throw mappingError(
      site,
      'unchanged-columns',
      `${captured.op} must carry every column, not leave out ${unchanged.join(', ')}`,
    );
  const omitted = new Set(unchanged);
  if (omitted.size !== heavy.size || [...omitted].some((c) => !heavy.has(c)))
    throw mappingError(
      site,
      'unchanged-columns',
      `left out ${unchanged.join(', ')}; the mirror configuration's heavy columns are ${[...heavy].join(', ') || 'none'}`,
    );
  return omitted;
}
