/**
 * Shared set-up for mirror tests: a story-site database with the tool schema and
 * capture installed *before* any row is written (so every row is captured and
 * Convex can end equal to Postgres without a backfill), and a comparison of
 * the two stores through the apply path's own mapping.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { installCapture } from '../../src/capture/index.js';
import { createAppSchema, APP_TABLES } from '../../examples/story-site/src/app/schema.js';
import type { ConvexTarget } from '../../src/convex/target.js';
import { TargetUnavailableError } from '../../src/core/errors.js';
import type { ApplyResult, TransactionBatch } from '../../src/core/changes.js';
import { requireTable } from '../../src/mapping/index.js';
import { silentLogger } from '../../src/log.js';
import { migrate } from '../../src/postgres/migrate.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay, type RelayOptions } from '../../src/relay/relay.js';
import { seedFixture } from './appFixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from './storySiteMirror.js';
import { parityRows } from './readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export async function prepareMirroredDatabase(pool: pg.Pool): Promise<void> {
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await installCapture(pool, { ...storySiteCapture() });
  await seedFixture(pool);
}

/** Options that keep tests fast: short backoff and breaker cooldown. */
export const FAST_RELAY: Partial<RelayOptions> = {
  idleMs: 20,
  leaseMs: 5_000,
  retry: { budget: 12, baseDelayMs: 5, maxDelayMs: 100 },
  breaker: { failureThreshold: 8, cooldownMs: 50 },
};

export function makeRelay(pool: pg.Pool, target: ConvexTarget, options: Partial<RelayOptions> = {}): Relay {
  return new Relay(
    { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics: createRelayMetrics(), log: silentLogger },
    { ...FAST_RELAY, ...options },
  );
}

type StoreState = Record<string, Record<string, Record<string, unknown>>>;

/** Every row of the ten tables, read as parity reads them (the row image) and mapped as the apply path maps it. */
export async function postgresState(pool: pg.Pool): Promise<StoreState> {
  const state: StoreState = {};
  for (const table of APP_TABLES) {
    state[table] = {};
    for (const [key, row] of await parityRows(pool, requireTable(STORY_SITE_TABLES, table)))
      state[table][key] = row.columns;
  }
  return state;
}

/** Every mirrored row Convex holds, through the exportPage query. */
export async function convexState(target: ConvexTarget): Promise<StoreState> {
  const state: StoreState = {};
  for (const table of APP_TABLES) {
    state[table] = {};
    let cursor: string | null = null;
    for (;;) {
      const page = await target.exportPage(table, cursor, 500);
      for (const row of page.page) state[table][row.key] = row.columns;
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
  }
  return state;
}

export async function expectConvexEqualsPostgres(pool: pg.Pool, target: ConvexTarget): Promise<void> {
  const [pgState, cxState] = [await postgresState(pool), await convexState(target)];
  for (const table of APP_TABLES) {
    expect(Object.keys(cxState[table]!).sort(), `keys of ${table}`).toEqual(Object.keys(pgState[table]!).sort());
    expect(cxState[table], `rows of ${table}`).toEqual(pgState[table]);
  }
}

export async function outboxCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM tandem.outbox GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Wraps a target and fails a share of apply calls as an outage would (before reaching Convex). */
export class FlakyTarget implements ConvexTarget {
  readonly kind = 'recording' as const;
  failures = 0;
  constructor(
    private readonly inner: ConvexTarget,
    private readonly failRate: number,
    private readonly random: () => number = Math.random,
    /** What a failure throws: an outage by default. */
    private readonly failure: () => Error = () => new TargetUnavailableError('injected outage'),
  ) {}
  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    if (this.random() < this.failRate) {
      this.failures += 1;
      throw this.failure();
    }
    return this.inner.applyBatch(transactions);
  }
  exportPage(...args: Parameters<ConvexTarget['exportPage']>) {
    return this.inner.exportPage(...args);
  }
}
