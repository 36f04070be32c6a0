/**
 * The Convex change log: the outbox's mirror image for tables whose writes
 * moved to Convex (docs/reverse-sync.md).
 *
 * `withChangeLog(ctx.db, { tables })` returns a database writer whose insert,
 * patch, replace and delete on those tables also append one entry to
 * `tandem_changelog`, in the same mutation, so a change is logged exactly when
 * it commits. The reverse-sync worker drains the log into Postgres.
 *
 * Why a wrapper and not a trigger: Convex has no triggers in the database
 * itself, and the application's write functions take a `db`, so handing them
 * this writer is the one place every write of a cut-over table passes through.
 *
 * Versions. Every logged change draws the next value of one counter document
 * (`tandem_changelog_head`), raised first past the key's document, tombstone
 * and companion versions: the new version is greater than anything applied
 * for the key, from Postgres or from Convex, and the log's `seq` (the same
 * number) increases in commit order (Convex mutations are serializable, and
 * they all write the counter). The worker raises the counter past the
 * Postgres outbox sequence before it applies anything (`raiseVersionFloor`),
 * so a Convex write also beats every Postgres change captured before it.
 * The counter is one document every logged mutation writes: logged writes are
 * serialized, which is the ordering the log needs.
 *
 * The mirrored documents stay in the mirror's shape: pgKey, pgVersion, ref_*
 * Ids resolved, heavy columns in the companion table, a tombstone per deleted
 * key. Callers pass rows in Postgres column terms (heavy columns included);
 * they must not set pgKey, pgVersion or ref_* themselves.
 */
import type { GenericId, Value } from 'convex/values';
import { findByKey, findTombstone } from './lookup.js';
import { clearChildRefs, fillChildRefs, resolveRefs } from './refs.js';
import { MIRRORED_TABLES } from './tables.js';
import {
  TOMBSTONE_TABLE,
  type MirroredTable,
  type MirrorDoc,
  type MirrorReader,
  type MirrorWriter,
} from './types.js';

export const CHANGELOG_TABLE = 'tandem_changelog';
export const CHANGELOG_HEAD_TABLE = 'tandem_changelog_head';
export const CHANGELOG_SEQ_INDEX = 'by_seq';

export interface ChangeLogOptions {
  /** The tables whose writes are in Convex (write stage `convex`): only these are logged. */
  tables: readonly string[];
}

/** One logged change: `doc` holds every column of the row (heavy ones too), by Postgres name. */
export interface ChangeLogEntry {
  seq: number;
  table: string;
  pgKey: string;
  op: 'upsert' | 'delete';
  version: number;
  doc?: Record<string, unknown>;
  /** Date.now() of the mutation that logged it, for the worker's lag. */
  loggedAt: number;
}

const RESERVED = new Set(['pgKey', 'pgVersion', '_id', '_creationTime']);

class ChangeLogError extends Error {
  constructor(table: string, message: string) {
    super(`${table}: ${message}`);
    this.name = 'ChangeLogError';
  }
}

function keyText(table: string, config: MirroredTable, row: Record<string, unknown>): string {
  const texts = config.primaryKey.map((column) => {
    const value = row[column];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
      return String(value);
    throw new ChangeLogError(table, `key column ${column} must be a string, number or bigint`);
  });
  return texts.length === 1 ? texts[0]! : JSON.stringify(texts);
}

function checkFields(table: string, config: MirroredTable, value: Record<string, unknown>): void {
  const known = new Set([...config.columns, ...(config.content?.columns ?? [])]);
  for (const field of Object.keys(value)) {
    if (RESERVED.has(field) || field.startsWith('ref_'))
      throw new ChangeLogError(table, `${field} is set by the change log, not by the caller`);
    if (!known.has(field)) throw new ChangeLogError(table, `${field} is not a mirrored column`);
  }
}

function split(
  config: MirroredTable,
  row: Record<string, unknown>,
): { doc: Record<string, unknown>; content: Record<string, unknown> | null } {
  const doc: Record<string, unknown> = {};
  for (const column of config.columns) if (column in row) doc[column] = row[column];
  if (!config.content) return { doc, content: null };
  const content: Record<string, unknown> = {};
  let any = false;
  for (const column of config.content.columns) {
    if (column in row) {
      content[column] = row[column];
      any = true;
    }
  }
  return { doc, content: any ? content : null };
}

function pickColumns(source: Record<string, unknown>, columns: readonly string[]) {
  const out: Record<string, unknown> = {};
  for (const column of columns) if (column in source) out[column] = source[column];
  return out;
}

/** Draws the next version: above the counter and above every version the key has. */
async function nextVersion(db: MirrorWriter, versions: Array<number | undefined>): Promise<number> {
  const head = (await db.query(CHANGELOG_HEAD_TABLE).first()) as MirrorDoc | null;
  const floor = Math.max((head?.seq as number | undefined) ?? 0, ...versions.map((v) => v ?? 0));
  const version = floor + 1;
  if (head) await db.patch(head._id, { seq: version });
  else await db.insert(CHANGELOG_HEAD_TABLE, { seq: version });
  return version;
}

/** Raises the version counter to at least `floor` (the worker: the Postgres outbox sequence). */
export async function raiseVersionFloor(db: MirrorWriter, floor: number): Promise<number> {
  const head = (await db.query(CHANGELOG_HEAD_TABLE).first()) as MirrorDoc | null;
  const current = (head?.seq as number | undefined) ?? 0;
  if (current >= floor) return current;
  if (head) await db.patch(head._id, { seq: floor });
  else await db.insert(CHANGELOG_HEAD_TABLE, { seq: floor });
  return floor;
}

async function append(
  db: MirrorWriter,
  entry: Omit<ChangeLogEntry, 'seq' | 'loggedAt'>,
): Promise<void> {
  const logged = { ...entry, seq: entry.version, loggedAt: Date.now() };
  await db.insert(CHANGELOG_TABLE, logged as Record<string, Value>);
}

/** Which logged table an Id belongs to (the main table or its companion is never passed by callers). */
function tableOfId(db: MirrorReader, logged: readonly string[], id: string): string | null {
  for (const table of logged) if (db.normalizeId(table, id) !== null) return table;
  return null;
}

interface Logged {
  db: MirrorWriter;
  logged: readonly string[];
}

async function insertRow(
  { db }: Logged,
  table: string,
  config: MirroredTable,
  row: Record<string, unknown>,
): Promise<GenericId<string>> {
  checkFields(table, config, row);
  for (const column of [...config.columns, ...(config.content?.columns ?? [])])
    if (!(column in row)) throw new ChangeLogError(table, `insert needs a value for ${column}`);
  const key = keyText(table, config, row);
  if (await findByKey(db, table, key))
    throw new ChangeLogError(table, `a row with key ${key} already exists`);
  const tombstone = await findTombstone(db, table, key);
  const content = config.content ? await findByKey(db, config.content.table, key) : null;
  const version = await nextVersion(db, [tombstone?.pgVersion, content?.pgVersion]);
  const parts = split(config, row);
  if (tombstone) await db.delete(tombstone._id);
  const refs = await resolveRefs(db, table, parts.doc);
  const id = await db.insert(table, { ...parts.doc, pgKey: key, pgVersion: version, ...refs });
  await fillChildRefs(db, table, parts.doc, id);
  if (config.content && parts.content) {
    const contentDoc = { ...parts.content, pgKey: key, pgVersion: version };
    if (content) await db.replace(content._id, contentDoc);
    else await db.insert(config.content.table, contentDoc);
  }
  await append(db, { table, pgKey: key, op: 'upsert', version, doc: row });
  return id as GenericId<string>;
}

/** patch (merge) and replace (whole row, heavy columns optional) of a logged row. */
async function updateRow(
  { db }: Logged,
  table: string,
  config: MirroredTable,
  id: GenericId<string>,
  value: Record<string, unknown>,
  mode: 'patch' | 'replace',
): Promise<void> {
  const systemless = Object.fromEntries(
    Object.entries(value).filter(([field]) => field !== '_id' && field !== '_creationTime'),
  );
  checkFields(table, config, systemless);
  const existing = (await db.get(id)) as MirrorDoc | null;
  if (!existing) throw new ChangeLogError(table, `no document ${id}`);
  const before = pickColumns(existing, config.columns);
  const content = config.content ? await findByKey(db, config.content.table, existing.pgKey) : null;
  const contentBefore =
    content && config.content ? pickColumns(content, config.content.columns) : {};
  const mainPart = pickColumns(systemless, config.columns);
  const after: Record<string, unknown> = mode === 'patch' ? { ...before, ...mainPart } : mainPart;
  for (const [field, v] of Object.entries(after)) if (v === undefined) delete after[field];
  for (const column of config.columns)
    if (!(column in after))
      throw new ChangeLogError(table, `${mode} would leave ${column} without a value`);
  if (keyText(table, config, after) !== existing.pgKey)
    throw new ChangeLogError(
      table,
      `${mode} would change the primary key of ${existing.pgKey}: delete the row and insert a new one`,
    );
  const newContent = config.content ? pickColumns(systemless, config.content.columns) : {};
  const contentChanged = Object.keys(newContent).length > 0;
  const version = await nextVersion(db, [existing.pgVersion, content?.pgVersion]);
  // A replace drops the old ref_* Ids; the ones whose parent exists are resolved afresh.
  const refs = await resolveRefs(db, table, after);
  await db.replace(id, { ...after, pgKey: existing.pgKey, pgVersion: version, ...refs });
  const contentAfter = { ...contentBefore, ...newContent };
  if (config.content && contentChanged) {
    const contentDoc = { ...contentAfter, pgKey: existing.pgKey, pgVersion: version };
    if (content) await db.replace(content._id, contentDoc);
    else await db.insert(config.content.table, contentDoc);
  }
  await append(db, {
    table,
    pgKey: existing.pgKey,
    op: 'upsert',
    version,
    doc: { ...after, ...contentAfter },
  });
}

async function deleteRow(
  { db }: Logged,
  table: string,
  config: MirroredTable,
  id: GenericId<string>,
): Promise<void> {
  const existing = (await db.get(id)) as MirrorDoc | null;
  if (!existing) throw new ChangeLogError(table, `no document ${id}`);
  const tombstone = await findTombstone(db, table, existing.pgKey);
  const content = config.content ? await findByKey(db, config.content.table, existing.pgKey) : null;
  const version = await nextVersion(db, [
    existing.pgVersion,
    tombstone?.pgVersion,
    content?.pgVersion,
  ]);
  await db.delete(id);
  await clearChildRefs(db, table, existing);
  if (content) await db.delete(content._id);
  if (tombstone) await db.patch(tombstone._id, { pgVersion: version });
  else await db.insert(TOMBSTONE_TABLE, { table, pgKey: existing.pgKey, pgVersion: version });
  await append(db, { table, pgKey: existing.pgKey, op: 'delete', version });
}

/** Both call forms of Convex's writer: (table, id, value) and the older (id, value). */
function idArgs(args: unknown[]): { table?: string; id: GenericId<string>; rest: unknown[] } {
  if (typeof args[0] === 'string' && typeof args[1] === 'string')
    return { table: args[0], id: args[1] as GenericId<string>, rest: args.slice(2) };
  return { id: args[0] as GenericId<string>, rest: args.slice(1) };
}

/**
 * The application's database writer with change logging for `options.tables`.
 * Writes to any other table pass through unchanged.
 */
export function withChangeLog<DB extends MirrorWriter>(db: DB, options: ChangeLogOptions): DB {
  for (const table of options.tables) {
    if (!MIRRORED_TABLES[table])
      throw new ChangeLogError(table, 'is not a mirrored table, so it cannot be change-logged');
  }
  const state: Logged = { db, logged: options.tables };
  const loggedTable = (args: unknown[]) => {
    const { table, id } = idArgs(args);
    const found = tableOfId(db, options.tables, id);
    if (table !== undefined && found !== null && table !== found)
      throw new ChangeLogError(table, `id ${id} belongs to ${found}`);
    return found;
  };
  // patch and replace differ only in how the new fields meet the old document (updateRow's mode).
  const update =
    (mode: 'patch' | 'replace') =>
    async (...args: unknown[]) => {
      const table = loggedTable(args);
      const { id, rest } = idArgs(args);
      if (table === null) return (db[mode] as (...a: unknown[]) => Promise<void>)(...args);
      return updateRow(
        state,
        table,
        MIRRORED_TABLES[table]!,
        id,
        rest[0] as Record<string, unknown>,
        mode,
      );
    };
  const writer = {
    get: db.get.bind(db),
    query: db.query.bind(db),
    normalizeId: db.normalizeId.bind(db),
    system: db.system,
    async insert(table: string, value: Record<string, unknown>) {
      const config = options.tables.includes(table) ? MIRRORED_TABLES[table] : undefined;
      if (!config) return db.insert(table, value as Record<string, Value>);
      return insertRow(state, table, config, value);
    },
    patch: update('patch'),
    replace: update('replace'),
    async delete(...args: unknown[]) {
      const table = loggedTable(args);
      const { id } = idArgs(args);
      if (table === null) return (db.delete as (...a: unknown[]) => Promise<void>)(...args);
      return deleteRow(state, table, MIRRORED_TABLES[table]!, id);
    },
  };
  return writer as unknown as DB;
}
