/**
 * Byte estimates of mapped documents, counted the way the Convex client
 * library counts them (`getConvexSize`/`getDocumentSize` from convex/values,
 * which convex-test also uses to enforce transaction limits). Used to refuse
 * documents over Convex's 1 MiB limit and by the relay to pack batches.
 */
import { getConvexSize, getDocumentSize, type Value } from 'convex/values';
import type { MappedChange } from '../core/changes.js';
import {
  KEY_FIELD,
  VERSION_FIELD,
  refField,
  type MirrorConfig,
  type TableConfig,
} from './tableConfig.js';

/** Stand-in for a Convex Id string in the ref_* fields (real Ids are about 32 characters). */
const ID_PLACEHOLDER = 'x'.repeat(40);
/** A tombstone document: table name, key, version and system fields. */
const TOMBSTONE_OVERHEAD = 120;

/**
 * Sizes already measured for a mapped document (by checkDocumentSizes), so the
 * packing estimate does not walk a large document a second time.
 */
const measuredBytes = new WeakMap<object, number>();

export function rememberBytes(document: object, bytes: number): void {
  measuredBytes.set(document, bytes);
}

function documentBytes(document: Record<string, unknown>): number {
  return measuredBytes.get(document) ?? getDocumentSize({ ...document } as Record<string, Value>);
}

export function valueBytes(value: unknown): number {
  return getConvexSize(value as Value);
}

/** The table's own document as Convex will store it: columns, pgKey, pgVersion, ref_* Ids, system fields. */
export function mainDocumentBytes(
  table: TableConfig,
  key: string,
  doc: Record<string, unknown>,
): number {
  const full: Record<string, unknown> = { ...doc, [KEY_FIELD]: key, [VERSION_FIELD]: 0 };
  for (const fk of table.foreignKeys) {
    if (doc[fk.column] !== null && doc[fk.column] !== undefined)
      full[refField(fk.column)] = ID_PLACEHOLDER;
  }
  return getDocumentSize(full as Record<string, Value>);
}

/** The companion document holding the heavy columns. */
export function contentDocumentBytes(key: string, content: Record<string, unknown>): number {
  return getDocumentSize({ ...content, [KEY_FIELD]: key, [VERSION_FIELD]: 0 } as Record<
    string,
    Value
  >);
}

/** Rough bytes a change writes in Convex (documents plus a tombstone for deletes); for batching. */
export function estimateChangeBytes(change: MappedChange): number {
  const keyBytes = 2 * (change.table.length + change.key.length);
  if (change.op === 'delete') return TOMBSTONE_OVERHEAD + keyBytes;
  const doc = change.doc ? documentBytes(change.doc) : 0;
  const content = change.content ? documentBytes(change.content) : 0;
  return doc + content + keyBytes + 20;
}

/**
 * Upper bound of the index ranges applyBatch reads for a change (Convex allows
 * 4,096 per mutation): the key and tombstone lookups, one per foreign key, one
 * per child link (filled on insert, cleared on delete) and the companion lookup.
 */
export function estimateChangeIndexRanges(change: MappedChange, config: MirrorConfig): number {
  const table = config.tables.find((t) => t.name === change.table);
  if (!table) return 2;
  const childLinks = config.tables.reduce(
    (n, t) => n + t.foreignKeys.filter((fk) => fk.references === table.name).length,
    0,
  );
  const refs = change.op === 'upsert' ? table.foreignKeys.length : 0;
  return 2 + refs + childLinks + (table.heavy ? 1 : 0);
}
