import { TandemError } from '../core/errors.js';

/**
 * Why a Postgres value cannot be stored in Convex as is. The relay turns a
 * MappingError into a dead letter whose reason names table, key, column and rule.
 */
export type MappingRule =
  | 'unknown-table'
  | 'unknown-column'
  | 'missing-column'
  | 'primary-key'
  | 'not-null'
  | 'type'
  | 'int8-range'
  | 'int8-precision'
  | 'enum-value'
  | 'timestamp-format'
  | 'timestamp-precision'
  | 'string-utf8'
  | 'array-dimensions'
  | 'array-length'
  | 'nesting-depth'
  | 'document-size'
  | 'unchanged-columns';

export class MappingError extends TandemError {
  readonly code = 'mapping';
  constructor(
    readonly table: string,
    readonly key: string,
    readonly column: string | null,
    readonly rule: MappingRule,
    readonly detail: string,
  ) {
    super(`${table} ${key}${column ? `.${column}` : ''}: ${rule}: ${detail}`);
  }
}

/** Where a value sits while it is mapped; lets deep helpers raise a precise MappingError. */
export interface MappingSite {
  table: string;
  key: string;
  column: string | null;
}

export function mappingError(site: MappingSite, rule: MappingRule, detail: string): MappingError {
  return new MappingError(site.table, site.key, site.column, rule, detail);
}
