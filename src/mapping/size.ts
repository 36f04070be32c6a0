/**
 * Byte estimates of mapped documents, counted the way the Convex client
 * library counts them (`getConvexSize`/`getDocumentSize` from convex/values,
 * which convex-test also uses to enforce transaction limits). Used to refuse
 * documents over Convex's 1 MiB limit and by the relay to pack batches.
 *
 * Counted by `convexSize` below rather than by the library's function, which
 * measures a long string by encoding it into a fresh buffer and walks objects
 * through Object.entries: on story rows (100 KB of text and JSON) that was a
 * fifth of the backfill's CPU. The two agree on every value whose strings are
 * well formed (the mapping refuses the others before measuring); a property
 * test pins them together.
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

/** What getDocumentSize adds for the system fields a new document will get (_id, _creationTime). */
const SYSTEM_FIELDS_BYTES = getDocumentSize({}) - getConvexSize({});

/** getConvexSize(value) for well-formed values, without allocating (see the header). */
export function convexSize(value: unknown): number {
  switch (typeof value) {
    case 'undefined':
      return 0;
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 9;
    case 'string':
      return 2 + Buffer.byteLength(value, 'utf8');
    case 'object': {
      if (value === null) return 1;
      if (Array.isArray(value)) {
        let size = 2;
        for (const element of value) size += convexSize(element);
        return size;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) break;
      let size = 2;
      for (const key in value) {
        const field = (value as Record<string, unknown>)[key];
        if (field !== undefined) size += Buffer.byteLength(key, 'utf8') + 1 + convexSize(field);
      }
      return size;
    }
  }
  return getConvexSize(value as Value); // ArrayBuffer and the like; throws for what Convex cannot hold
}

/** getDocumentSize of a document without system fields. */
function newDocumentSize(document: Record<string, unknown>): number {
  return convexSize(document) + SYSTEM_FIELDS_BYTES;
}

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
  return measuredBytes.get(document) ?? newDocumentSize(document);
}

export function valueBytes(value: unknown): number {
  return convexSize(value);
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
  return newDocumentSize(full);
}

/** The companion document holding the heavy columns. */
export function contentDocumentBytes(key: string, content: Record<string, unknown>): number {
  return newDocumentSize({ ...content, [KEY_FIELD]: key, [VERSION_FIELD]: 0 });
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
