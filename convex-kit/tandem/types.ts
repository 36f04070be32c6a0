/**
 * Types shared by the mirror's Convex functions. Tables are addressed by name
 * at run time, so the functions work on the generic data model; the schema
 * still validates every document written.
 */
import type {
  GenericDatabaseReader,
  GenericDatabaseWriter,
  GenericDataModel,
  GenericDocument,
} from 'convex/server';
import type { GenericId } from 'convex/values';

export interface MirroredForeignKey {
  column: string;
  references: string;
  refField: string;
  index: string;
}

export interface MirroredTable {
  primaryKey: string[];
  /** Columns stored in the table's own documents. */
  columns: string[];
  foreignKeys: MirroredForeignKey[];
  /** Companion table with the heavy columns, or null. */
  content: { table: string; columns: string[] } | null;
}

export type MirrorReader = GenericDatabaseReader<GenericDataModel>;
export type MirrorWriter = GenericDatabaseWriter<GenericDataModel>;
export type MirrorDoc = GenericDocument & {
  _id: GenericId<string>;
  pgKey: string;
  pgVersion: number;
};

export interface MappedChangeArg {
  table: string;
  key: string;
  version: number;
  op: 'upsert' | 'delete';
  doc?: Record<string, unknown>;
  content?: Record<string, unknown>;
  /** The update left the heavy columns unchanged: keep the companion document. */
  keepContent?: boolean;
}

export interface TransactionArg {
  txid: string;
  changes: MappedChangeArg[];
}

export const KEY_INDEX = 'by_pgKey';
export const TOMBSTONE_TABLE = 'tombstones';
export const TOMBSTONE_INDEX = 'by_table_pgKey';
