/**
 * One step of the reverse-sync worker: one Postgres transaction that takes the
 * cursor row's lock (so workers serialize and entries go in log order), reads
 * the next page of the Convex change log after the cursor, applies it in one
 * call that runs the entries in log order, each all or nothing, up to the
 * first that fails (applyToPostgres.ts), moves the cursor and commits. Only
 * then is the page pruned in Convex. A crash before the commit leaves the cursor where
 * it was (the page is read again); a crash after it leaves entries in Convex
 * that are already applied (the cursor skips them, and the versioned apply
 * would too): nothing is lost and nothing is applied twice.
 */
import type pg from 'pg';
import { MappingError, type MirrorConfig } from '../mapping/index.js';
import { applyReverseChanges, type BatchItem, type DeadLetterOrder } from './applyToPostgres.js';
import type { ChangeLogEntry, ChangeLogSource } from './changeLog.js';
import { toolObjectLiteral, type ToolSchema } from '../core/toolSchema.js';

export interface PageHooks {
  /** Test kill points: throw from one to simulate a crash at that moment. */
  beforeCommit?(cursor: number): void | Promise<void>;
  afterCommit?(cursor: number): void | Promise<void>;
}

export interface ApplyPageDeps {
  pool: pg.Pool;
  source: ChangeLogSource;
  config: MirrorConfig;
  pageSize?: number;
  hooks?: PageHooks;
}

export interface EntryFailure {
  entry: ChangeLogEntry;
  error: Error;
  /** Bad data (a MappingError or a data exception, isEntrysFault): retrying cannot help. */
  permanent: boolean;
}

/**
 * Bad data that no retry can fix: a MappingError, or a value Postgres's input
 * refused (SQLSTATE class 22, data exception: a NUL in a string, a number out
 * of range, a malformed date). A constraint (class 23) may hold against other
 * rows only for now, so it spends the retry budget instead.
 */
export function isEntrysFault(error: Error): boolean {
  if (error instanceof MappingError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

export interface PageResult {
  read: number;
  applied: number;
  skipped: number;
  /** Entries of decommissioned tables: Postgres no longer keeps them, so they are passed over. */
  retired: number;
  deadLettered: number;
  /** The cursor after this step (the last entry committed). */
  cursor: number;
  /** The first entry that failed; the cursor stops before it. */
  failure: EntryFailure | null;
  /** The oldest entry left after this page (lag), or null when caught up. */
  caughtUp: boolean;
  /** Newest Convex version applied by this step (0 when none). */
  maxVersion: number;
}

export const DEFAULT_PAGE_SIZE = 200;

export type { DeadLetterOrder };

/** The write would come back to Convex through capture: a capture trigger older than migration 0014's rule. */
export class EchoError extends Error {
  constructor(tables: string[]) {
    super(
      `reverse-sync writes were captured into the outbox (${tables.join(', ')}): the capture trigger predates the reverse-sync rule; run \`tandem capture install\``,
    );
    this.name = 'EchoError';
  }
}

/**
 * Opens the page's transaction in one round trip: capture and freeze told to
 * let the writes through, the cursor row locked (workers serialize here), and
 * the tables the phases moved to `decommissioned`: their Postgres copy was
 * archived and retired (moved or dropped), Convex alone holds them, and their
 * change-log entries have nowhere to go. Passing over them keeps the cursor
 * moving for the tables still kept in step.
 */
async function beginPage(
  client: pg.ClientBase,
  tool: ToolSchema,
): Promise<{ cursor: number; retired: Set<string> }> {
  // No parameters, so one simple query may carry the three statements. A
  // setting name, not the tool schema: the capture and freeze triggers read
  // `tandem.reverse_sync` whatever the tool schema is called.
  const results = (await client.query(
    `BEGIN; SET LOCAL tandem.reverse_sync = 'on';
     SELECT cursor_seq,
            ARRAY(SELECT table_name FROM ${tool.sql}.table_phase WHERE phase = 'decommissioned') AS retired
       FROM ${tool.sql}.reverse_sync_state FOR UPDATE`,
  )) as unknown as Array<pg.QueryResult<{ cursor_seq: string; retired: string[] }>>;
  const state = results.at(-1)!.rows[0]!;
  return { cursor: Number(state.cursor_seq), retired: new Set(state.retired) };
}

/**
 * Ends the page before its COMMIT, in one round trip: refuses it when it
 * produced outbox rows (a capture trigger older than migration 0014's rule
 * would echo the writes back to Convex), else moves the cursor and keeps every
 * new Postgres outbox seq above the Convex versions applied (see
 * docs/reverse-sync.md). setval is not transactional, so it runs only when
 * the page will commit.
 */
async function endPage(
  client: pg.ClientBase,
  tool: ToolSchema,
  cursor: number,
  applied: number,
  maxVersion: number,
): Promise<void> {
  const { rows } = await client.query<{ echoed: string[] }>(
    `WITH echoed AS (
       SELECT DISTINCT table_name FROM ${tool.sql}.outbox WHERE txid = pg_current_xact_id()
     ), moved AS (
       UPDATE ${tool.sql}.reverse_sync_state SET cursor_seq = $1, applied = applied + $2, updated_at = now()
        WHERE NOT EXISTS (SELECT 1 FROM echoed)
     )
     SELECT ARRAY(SELECT table_name FROM echoed ORDER BY table_name) AS echoed,
            (SELECT setval(${toolObjectLiteral(tool, 'outbox_seq_seq')}, $3::bigint)
              WHERE NOT EXISTS (SELECT 1 FROM echoed)
                AND $3::bigint > (SELECT last_value FROM ${tool.sql}.outbox_seq_seq)) AS raised`,
    [cursor, applied, maxVersion],
  );
  if (rows[0]!.echoed.length > 0) throw new EchoError(rows[0]!.echoed);
}

export interface NextPageOptions {
  /**
   * Look for entries after the cursor before opening the page's transaction,
   * and open none when there are none: an idle worker then costs one read of
   * the cursor and one of Convex, and holds no lock or transaction while it
   * polls (on PGlite, one connection serves everybody). A worker peeks after a
   * page that caught up; while busy it goes straight to the locked read.
   */
  peek?: boolean;
}

export async function applyNextPage(
  deps: ApplyPageDeps, tool: ToolSchema,
  deadLetters: ReadonlyMap<number, DeadLetterOrder> = new Map(),
  options: NextPageOptions = {},
): Promise<PageResult> {
  const pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  const result: PageResult = {
    read: 0,
    applied: 0,
    skipped: 0,
    retired: 0,
    deadLettered: 0,
    cursor: 0,
    failure: null,
    caughtUp: false,
    maxVersion: 0,
  };
  let peeked: { cursor: number; page: Awaited<ReturnType<ChangeLogSource['readChangeLog']>> } | null = null;
  if (options.peek) {
    const cursor = await readCursor(deps.pool, tool);
    const page = await deps.source.readChangeLog(cursor, pageSize);
    if (!page.entries.some((entry) => entry.seq > cursor)) return { ...result, cursor, caughtUp: true };
    peeked = { cursor, page };
  }
  const client = await deps.pool.connect();
  try {
    const begun = await beginPage(client, tool);
    let cursor = begun.cursor;
    const { retired } = begun;
    // What the peek read is still the page when no other worker moved the cursor meanwhile.
    const page =
      peeked?.cursor === cursor ? peeked.page : await deps.source.readChangeLog(cursor, pageSize);
    result.read = page.entries.length;
    const items: BatchItem[] = page.entries
      .filter((entry) => entry.seq > cursor)
      .map((entry): BatchItem => {
        const order = deadLetters.get(entry.seq);
        if (retired.has(entry.table)) return { entry, action: 'retire' };
        if (order) return { entry, action: 'dead-letter', order };
        return { entry, action: 'apply' };
      });
    // The whole page in one call (applyToPostgres.ts), in log order, stopping at the first failure.
    const batch = await applyReverseChanges(client, tool, deps.config, items);
    batch.outcomes.forEach((outcome, index) => {
      const { entry } = items[index]!;
      if (outcome === 'applied') {
        result.applied++;
        result.maxVersion = Math.max(result.maxVersion, entry.version);
      } else if (outcome === 'skipped') result.skipped++;
      else if (outcome === 'retired') result.retired++;
      else result.deadLettered++;
      cursor = entry.seq;
    });
    if (batch.failure) {
      const { entry } = items[batch.failure.index]!;
      const err = batch.failure.error;
      result.failure = { entry, error: err, permanent: isEntrysFault(err) };
    }
    await endPage(client, tool, cursor, result.applied, result.maxVersion);
    await deps.hooks?.beforeCommit?.(cursor);
    await client.query('COMMIT');
    result.cursor = cursor;
    result.caughtUp = !result.failure && page.entries.length < pageSize;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  await deps.hooks?.afterCommit?.(result.cursor);
  return result;
}

/** Prunes what Postgres has committed; Convex being unreachable here costs nothing but space. */
export async function pruneCommitted(source: ChangeLogSource, cursor: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const step = await source.pruneChangeLog(cursor);
    deleted += step.deleted;
    if (!step.more) return deleted;
  }
}

export async function readCursor(pool: pg.Pool, tool: ToolSchema): Promise<number> {
  const { rows } = await pool.query<{ cursor_seq: string }>(
    `SELECT cursor_seq FROM ${tool.sql}.reverse_sync_state`,
  );
  return Number(rows[0]!.cursor_seq);
}
