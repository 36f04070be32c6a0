/**
 * Writing mirrored documents from a Convex write path. Every write goes
 * through the one `db` the mutation hands in, which is `changeLogged(ctx.db)`:
 * the kit's change-log writer (convex/tandem/changeLog.ts). It keeps the
 * mirror's shape (pgKey, the `ref_*` Ids of parents that exist, the companion
 * document for heavy columns, a tombstone per deleted key) and appends each
 * change to the change log in the same mutation, which reverse sync applies
 * to Postgres. So the functions here pass rows in Postgres column terms only.
 *
 * `pgVersion` of a document written here is drawn from the change log's
 * counter: above every version the key had (from Postgres or from Convex) and
 * above the Postgres outbox sequence once reverse sync has raised the floor.
 */
import type { GenericId, Value } from 'convex/values';
import type { Doc, TableNames } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { withChangeLog } from '../tandem/changeLog.js';
import { findByKey } from '../tandem/lookup.js';
import { MIRRORED_TABLES } from '../tandem/tables.js';
import type { MirrorReader, MirrorWriter } from '../tandem/types.js';

export type MirroredName = Exclude<
  TableNames,
  'story_content' | 'tombstones' | 'key_ranges' | 'legacy_users'
>;

type Columns<T extends MirroredName> = Omit<
  Doc<T>,
  '_id' | '_creationTime' | 'pgKey' | 'pgVersion' | `ref_${string}`
>;

/** The heavy columns of a table with a companion (the story's text and json), by Postgres name. */
export type HeavyColumns = Record<string, unknown>;

const LOGGED_TABLES = Object.keys(MIRRORED_TABLES);

/**
 * The mutation's writer with every mirrored table change-logged. A write path
 * runs in Convex only when its write group's writer is Convex, and a group
 * holds every table its paths write, so every mirrored write here is one that
 * Postgres must receive: all of them are logged, none is chosen by stage.
 */
export function changeLogged(db: DatabaseWriter): DatabaseWriter {
  return withChangeLog(db as unknown as MirrorWriter, {
    tables: LOGGED_TABLES,
  }) as unknown as DatabaseWriter;
}

const writer = (db: DatabaseWriter) => db as unknown as MirrorWriter;

/** One mirrored row by its Postgres key. */
export async function rowByKey<T extends MirroredName>(
  db: DatabaseReader,
  table: T,
  key: string | number,
): Promise<Doc<T> | null> {
  return (await findByKey(db as unknown as MirrorReader, table, String(key))) as Doc<T> | null;
}

/** Inserts a new row (every column, the heavy ones of a table with a companion too). */
export async function insertRow<T extends MirroredName>(
  db: DatabaseWriter,
  table: T,
  columns: Columns<T>,
  heavy: HeavyColumns = {},
): Promise<Doc<T>> {
  const id = await writer(db).insert(table, { ...columns, ...heavy } as Record<string, Value>);
  return (await db.get(id as GenericId<T>)) as Doc<T>;
}

/**
 * Patches a row's columns. Only the columns that change are written (an
 * unchanged write would reach reverse sync as a change); heavy columns, when
 * given, are always written: comparing two JSON documents of a few hundred
 * kilobytes costs more than the write.
 */
export async function patchRow<T extends MirroredName>(
  db: DatabaseWriter,
  table: T,
  row: Doc<T>,
  changes: Partial<Columns<T>>,
  heavy: HeavyColumns = {},
): Promise<Doc<T>> {
  const current = row as unknown as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(changes)) {
    if (value !== undefined && !sameValue(current[column], value)) changed[column] = value;
  }
  if (Object.keys(changed).length === 0 && Object.keys(heavy).length === 0) return row;
  await writer(db).patch(
    row._id as GenericId<string>,
    { ...changed, ...heavy } as Record<string, Value | undefined>,
  );
  return (await db.get(row._id)) as Doc<T>;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

/**
 * Deletes a row as the mirror does: the change-log writer removes the
 * document, its companion and the children's refs to it, and leaves a
 * tombstone at a new version so that a late, older change cannot bring it back.
 */
export async function deleteRow<T extends MirroredName>(
  db: DatabaseWriter,
  _table: T,
  row: Doc<T>,
): Promise<void> {
  await db.delete(row._id);
}

export interface StoryContent {
  text: string | null;
  json: unknown;
}

export async function storyContent(db: DatabaseReader, story: Doc<'story'>): Promise<StoryContent> {
  const content = await findByKey(db as unknown as MirrorReader, 'story_content', story.pgKey);
  return {
    text: (content?.text as string | null | undefined) ?? null,
    json: content?.json ?? null,
  };
}
