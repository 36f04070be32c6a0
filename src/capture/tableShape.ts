/**
 * Telling a schema change from a bad value. When a row image of a table cannot
 * be mapped, the relay compares the table's live columns (discovered from the
 * catalog again) with the columns it maps by: if they differ, the table's shape
 * changed under capture and the table is paused; if not, the value itself is
 * bad and goes to dead letters as before.
 */
import type { ColumnConfig, MirrorConfig, TableConfig } from '../mapping/index.js';
import { findTable } from '../mapping/index.js';

export interface RetypedColumn {
  column: string;
  from: string;
  to: string;
}

export interface ShapeChange {
  table: string;
  added: string[];
  dropped: string[];
  retyped: RetypedColumn[];
  /** The table itself is gone from the live mirror (dropped, excluded, or lost its key). */
  tableMissing: boolean;
}

/** The type a column is mapped by: a change here changes the Convex value. */
export function columnTypeText(column: ColumnConfig): string {
  const base =
    column.type === 'enum'
      ? `enum ${column.enumName ?? '?'}(${(column.enumValues ?? []).join(',')})`
      : column.type === 'other'
        ? (column.pgType ?? 'other')
        : column.type;
  return column.array ? `${base}[]` : base;
}

/**
 * The difference between the columns the relay maps `expected` by and the
 * live table; null when they agree. A rename shows as one column dropped and
 * one added (the catalog cannot tell them apart). Nullability is not compared:
 * it changes no mapped value.
 */
export function diffTableShape(expected: TableConfig, live: TableConfig | undefined): ShapeChange | null {
  return diffShapes(expected.name, tableShape(expected), live && tableShape(live));
}

/** A column as stored in `tandem.captured_table.columns`: what a shape change is judged by. */
export interface ColumnShape {
  name: string;
  type: string;
}

export function tableShape(table: TableConfig): ColumnShape[] {
  return table.columns.map((c) => ({ name: c.name, type: columnTypeText(c) }));
}

/** The difference between two shapes of one table; null when they agree. */
export function diffShapes(table: string, expected: readonly ColumnShape[], live: readonly ColumnShape[] | undefined): ShapeChange | null {
  const change: ShapeChange = { table, added: [], dropped: [], retyped: [], tableMissing: !live };
  if (!live) return change;
  const liveTypes = new Map(live.map((c) => [c.name, c.type]));
  const expectedNames = new Set(expected.map((c) => c.name));
  for (const column of expected) {
    const now = liveTypes.get(column.name);
    if (now === undefined) change.dropped.push(column.name);
    else if (now !== column.type) change.retyped.push({ column: column.name, from: column.type, to: now });
  }
  for (const column of live) if (!expectedNames.has(column.name)) change.added.push(column.name);
  const same = change.added.length === 0 && change.dropped.length === 0 && change.retyped.length === 0;
  return same ? null : change;
}

/** Every table of `tables` whose live shape differs from `current`'s. */
export function changedTables(current: MirrorConfig, live: MirrorConfig, tables: Iterable<string>): Map<string, ShapeChange> {
  const changes = new Map<string, ShapeChange>();
  for (const name of new Set(tables)) {
    const expected = findTable(current, name);
    if (!expected) continue;
    const change = diffTableShape(expected, findTable(live, name));
    if (change) changes.set(name, change);
  }
  return changes;
}

/** One line for status and logs: "columns added: a; dropped: b; retyped: c (int4 → text)". */
export function describeShapeChange(change: ShapeChange): string {
  if (change.tableMissing) return `table "${change.table}" is no longer in the live mirror`;
  const parts: string[] = [];
  if (change.added.length > 0) parts.push(`added ${change.added.join(', ')}`);
  if (change.dropped.length > 0) parts.push(`dropped ${change.dropped.join(', ')}`);
  if (change.retyped.length > 0)
    parts.push(`retyped ${change.retyped.map((r) => `${r.column} (${r.from} → ${r.to})`).join(', ')}`);
  return `schema of "${change.table}" changed under capture: column(s) ${parts.join('; ')}; run codegen, deploy Convex, then \`tandem capture install\``;
}
