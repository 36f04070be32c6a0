/**
 * The story site's write paths run two ways from the same data: the Postgres
 * path on a database, and the Convex path (convex/writes.ts through
 * src/app/writes/convexPaths.ts) on an embedded Convex that starts as the
 * relay's mirror of that database. End states are compared in the mapped
 * form the apply path and parity use (postgresState / convexState), after
 * two normalizations that the one-key-space design makes necessary:
 *  - ids of rows created during the run differ by design (Postgres draws from
 *    its sequence, Convex from the ranges reserved out of it, and Postgres
 *    leaves gaps an `ON CONFLICT` upsert or a failed insert consumed), so each
 *    side's new ids are renamed `new:<table>:<n>` in creation (id) order, in
 *    the key and in every foreign key column pointing at them;
 *  - timestamps are each store's own clock, so a timestamp compares as set or NULL.
 */
import type pg from 'pg';
import type { Actor, AppDeps } from '../../examples/story-site/src/app/ports.js';
import {
  convexWrites,
  type ConvexMutationRunner,
  type ConvexWriteDeps,
} from '../../examples/story-site/src/app/writes/convexPaths.js';
import * as writes from '../../examples/story-site/src/app/writes/index.js';
import { backfill } from '../../src/backfill/backfill.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { TandemError } from '../../src/core/errors.js';
import { translatePgError } from '../../examples/story-site/src/app/writes/pgErrors.js';
import { convexKeyRangeStore, refillKeyRanges, type KeyColumn } from '../../src/keys/index.js';
import { requireTable } from '../../src/mapping/index.js';
import { MIRRORED_TABLES } from '../../examples/story-site/convex/tandem/tables.js';
import { seedExtendedFixture, USER_NAMES } from './appFixture.js';
import { prepareCapturedSchema } from './convexReads.js';
import { createTestDatabase, type Backend, type TestDatabase } from './db.js';
import { SEED_EXTRAS } from './writeCalls.js';
import { convexState, makeRelay, postgresState } from './mirror.js';
import { STORY_SITE_TABLES } from './storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export type WritePathName = keyof typeof convexWrites;

/** A fresh database of `backend` with capture installed and the extended fixture, extras included. */
export async function writePathsDatabase(backend: Backend): Promise<TestDatabase> {
  const db = await createTestDatabase(backend);
  await prepareCapturedSchema(db.pool);
  await seedExtendedFixture(db.pool);
  await db.pool.query(SEED_EXTRAS);
  return db;
}

/** One write: a write path, who calls it, and its input; or an approval removal by rank (ids differ per side). */
export type WriteCall =
  | { path: WritePathName; actor: Actor; input: unknown }
  | { path: 'removeApprovalByRank'; actor: Actor; rank: number };

export type StoreState = Awaited<ReturnType<typeof postgresState>>;

/** The story site's tables whose ids come from a sequence. */
export const SERIAL_KEYS: KeyColumn[] = [
  'language',
  'localization',
  'avatar',
  'speaker',
  'avatar_mapping',
  'course',
  'story',
  'story_approval',
  'story_done',
].map((table) => ({ schema: 'public', table, column: 'id' }));

/** A fresh embedded Convex holding what the relay mirrored, with legacy users and reserved ids. */
export async function convexSideFor(pool: pg.Pool, reserve = 200): Promise<EmbeddedConvexTarget> {
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  await makeRelay(pool, target).drain();
  return readyForWrites(pool, target, reserve);
}

/** What a Convex side needs before the write paths run in it: the legacy users and reserved ids. */
async function readyForWrites(
  pool: pg.Pool,
  target: EmbeddedConvexTarget,
  reserve: number,
): Promise<EmbeddedConvexTarget> {
  await target.mutation('writes/users:saveLegacyUsers', {
    users: [...USER_NAMES].map(([userId, name]) => ({ userId, name })),
  });
  await refillKeyRanges(pool, convexKeyRangeStore(target), SERIAL_KEYS, {
    lowWater: reserve,
    batch: reserve,
  });
  return target;
}

/**
 * A scratch Convex for `convex-shadow`: a copy of Postgres as it is now
 * (backfilled, since the relay has already handed the outbox to the real
 * side), with the legacy users and ids of its own reserved.
 */
export async function scratchConvexFor(pool: pg.Pool, reserve = 200): Promise<EmbeddedConvexTarget> {
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  await backfill(pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, restart: true });
  return readyForWrites(pool, target, reserve);
}

export type CallOutcome =
  { ok: true; result: unknown } | { ok: false; error: Record<string, unknown> };

/** Ids, timestamps and publication lists name rows by id, which differ per side: left out of results. */
function comparableResult(result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return result;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) {
    if (k === 'id' || k === 'ids') continue;
    if (k === 'published') out.published = (v as unknown[]).length;
    else if (k === 'date_published') out.date_published = v === null ? null : 'set';
    else out[k] = v;
  }
  return out;
}

async function outcomeOf(run: () => Promise<unknown>): Promise<CallOutcome> {
  try {
    return { ok: true, result: comparableResult(await run()) };
  } catch (thrown) {
    // As the API answers (src/api/errors.ts): a Postgres error the path left untranslated is translated there.
    const err = translatePgError(thrown);
    if (!(err instanceof TandemError)) throw err;
    return { ok: false, error: { class: err.constructor.name, ...err, message: err.message } };
  }
}

const MISSING_APPROVAL = 999_999;

export async function runOnPostgres(deps: AppDeps, call: WriteCall): Promise<CallOutcome> {
  if (call.path === 'removeApprovalByRank') {
    const { rows } = await deps.pool.query<{ id: number }>(
      'SELECT id FROM story_approval ORDER BY id OFFSET $1 LIMIT 1',
      [call.rank],
    );
    const id = rows[0]?.id ?? MISSING_APPROVAL;
    return outcomeOf(() => writes.removeApproval(deps, call.actor, { id }));
  }
  const path = call.path;
  if (path === 'recordStoryDoneBatch')
    return outcomeOf(() => writes.recordStoryDoneBatch(deps, call.input));
  const run = writes[path] as (d: AppDeps, a: Actor, i: unknown) => Promise<unknown>;
  return outcomeOf(() => run(deps, call.actor, call.input));
}

/** Runs a call through the Convex path on any target (an embedded one for calls that pick an approval by rank). */
export async function runOnConvex(
  target: ConvexMutationRunner & Partial<Pick<EmbeddedConvexTarget, 'documents'>>,
  call: WriteCall,
): Promise<CallOutcome> {
  const deps: ConvexWriteDeps = { convex: target };
  if (call.path === 'removeApprovalByRank') {
    const ids = (await target.documents!('story_approval'))
      .map((d) => d.id as number)
      .sort((a, b) => a - b);
    const id = ids[call.rank] ?? MISSING_APPROVAL;
    return outcomeOf(() => convexWrites.removeApproval(deps, call.actor, { id }));
  }
  const run = convexWrites[call.path] as (
    d: ConvexWriteDeps,
    a: Actor,
    i: unknown,
  ) => Promise<unknown>;
  return outcomeOf(() => run(deps, call.actor, call.input));
}

/** A state with created rows renamed by creation order and timestamps reduced to set/NULL (see the header). */
export function normalizedState(state: StoreState, before: StoreState): StoreState {
  const renamed = new Map<string, Map<string, string>>();
  for (const [table, rows] of Object.entries(state)) {
    // Keys the caller chooses (image ids) are the same on both sides: only sequence ids are renamed.
    if (!SERIAL_KEYS.some((k) => k.table === table)) continue;
    const fresh = Object.keys(rows)
      .filter((key) => !(key in (before[table] ?? {})))
      .sort((a, b) => Number(a) - Number(b));
    renamed.set(table, new Map(fresh.map((key, i) => [key, `new:${table}:${i + 1}`])));
  }
  const out: StoreState = {};
  for (const [table, rows] of Object.entries(state)) {
    const config = requireTable(STORY_SITE_TABLES, table);
    const timestamps = config.columns.filter((c) => c.type === 'timestamptz').map((c) => c.name);
    const ownIds = renamed.get(table) ?? new Map<string, string>();
    out[table] = {};
    for (const [key, columns] of Object.entries(rows)) {
      const row: Record<string, unknown> = { ...columns };
      if (ownIds.has(key)) row.id = ownIds.get(key);
      for (const fk of config.foreignKeys) {
        const value = row[fk.column];
        const target = renamed.get(fk.references)?.get(String(value));
        if (value !== null && target) row[fk.column] = target;
      }
      for (const column of timestamps) row[column] = row[column] === null ? null : 'set';
      out[table][ownIds.get(key) ?? key] = row;
    }
  }
  return out;
}

export { convexState, postgresState };

/**
 * Every `ref_*` field holds the Id of the parent its foreign key column names
 * when that parent exists, and is absent otherwise, as the mirror's apply
 * keeps them (parity compares columns only, so this is checked on its own).
 */
export async function refProblems(target: EmbeddedConvexTarget): Promise<string[]> {
  const problems: string[] = [];
  for (const [table, config] of Object.entries(MIRRORED_TABLES)) {
    for (const fk of config.foreignKeys) {
      const parents = new Map(
        (await target.documents(fk.references)).map((p) => [p.pgKey as string, p._id]),
      );
      for (const doc of await target.documents(table)) {
        const value = doc[fk.column];
        const expected =
          value === null || value === undefined ? undefined : parents.get(String(value));
        if (doc[fk.refField] !== expected)
          problems.push(
            `${table} ${String(doc.pgKey)}: ${fk.refField} is ${String(doc[fk.refField])}, expected ${String(expected)}`,
          );
      }
    }
  }
  return problems;
}
