/**
 * Convex's limits on a stored document, checked on every insert, patch and
 * replace of the stand-in and the embedded target (convex-test checks none of
 * them), so a write a real deployment would refuse fails here too. The
 * numbers are the ones the mapping respects (src/mapping/convexLimits.ts,
 * from docs.convex.dev "Limits" and "Data Types"). The error names the
 * table, the field path and the rule.
 */
import { getDocumentSize, type Value } from 'convex/values';
import {
  isConvexFieldName,
  MAX_ARRAY_LENGTH,
  MAX_DOCUMENT_BYTES,
  MAX_FIELDS_PER_OBJECT,
  MAX_NESTING_DEPTH,
} from '../../mapping/convexLimits.js';

export class DocumentLimitError extends Error {
  constructor(
    readonly table: string,
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(
      `${message} (table "${table}"${field ? `, field "${field}"` : ''}). This is a Convex limit: https://docs.convex.dev/production/state/limits`,
    );
    this.name = 'DocumentLimitError';
  }
}

/** Plain objects only (as convex-test decides): not arrays, bytes or a pending commit timestamp. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return (
    prototype === null || prototype === Object.prototype || prototype.constructor?.name === 'Object'
  );
}

/** Walks a value; `depth` counts the document itself as level 1. */
function checkValue(table: string, value: unknown, path: string, depth: number): void {
  if (Array.isArray(value) || isPlainObject(value)) {
    if (depth > MAX_NESTING_DEPTH) {
      throw new DocumentLimitError(
        table,
        path,
        'nesting',
        `Document is nested more than ${MAX_NESTING_DEPTH} levels deep`,
      );
    }
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new DocumentLimitError(
        table,
        path,
        'array_length',
        `Array has ${value.length} elements, more than the ${MAX_ARRAY_LENGTH} allowed`,
      );
    }
    value.forEach((element, i) => checkValue(table, element, `${path}[${i}]`, depth + 1));
    return;
  }
  if (!isPlainObject(value)) return;
  const names = Object.keys(value);
  if (names.length > MAX_FIELDS_PER_OBJECT) {
    throw new DocumentLimitError(
      table,
      path,
      'fields_per_object',
      `Object has ${names.length} fields, more than the ${MAX_FIELDS_PER_OBJECT} allowed`,
    );
  }
  for (const name of names) {
    const fieldPath = path ? `${path}.${name}` : name;
    if (!isConvexFieldName(name)) {
      throw new DocumentLimitError(
        table,
        fieldPath,
        'field_name',
        `Invalid field name "${name}": field names must be nonempty printable ASCII, at most 1024 characters, and must not start with "$" or "_"`,
      );
    }
    checkValue(table, value[name], fieldPath, depth + 1);
  }
}

/** Throws a DocumentLimitError when `document` (its user fields) breaks one of Convex's document limits. */
export function checkDocumentLimits(table: string, document: Record<string, unknown>): void {
  const size = getDocumentSize(document as Record<string, Value>);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new DocumentLimitError(
      table,
      '',
      'document_size',
      `Document is too large (${size} bytes > maximum size ${MAX_DOCUMENT_BYTES} bytes)`,
    );
  }
  checkValue(table, document, '', 1);
}
