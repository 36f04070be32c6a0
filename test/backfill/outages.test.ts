/**
 * Backfill waits through Convex outages and a refused key instead of giving
 * up after the retry budget: with half of all calls failing it finishes with
 * Convex equal to Postgres, and each wait shows in its progress output. An
 * outage limit, when set, ends the run with the reason.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backfill, type BackfillProgress } from '../../src/backfill/index.js';
import { EmbeddedConvexTarget } from '../../src/convex/index.js';
import { TargetAuthError, TargetUnavailableError } from '../../src/core/errors.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { FlakyTarget, expectConvexEqualsPostgres } from '../support/mirror.js';
import { seededRandom } from '../support/random.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { prepareBackfillDatabase, resetBackfill } from './fixture.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const FAST_RETRY = { budget: 2, baseDelayMs: 1, maxDelayMs: 4 };

describe.each(backends)('backfill through outages [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareBackfillDatabase(db.pool);
  });
  beforeEach(() => resetBackfill(db.pool));
  afterAll(() => db?.close());

  it('half of all calls unavailable, budget 2: finishes, says it waited, Convex equals Postgres', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const flaky = new FlakyTarget(embedded, 0.5, seededRandom(7));
    const events: BackfillProgress[] = [];
    const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, flaky, {
      config: STORY_SITE_TABLES,
      batchRows: 5,
      retry: FAST_RETRY,
      onProgress: (e) => events.push(e),
    });
    expect(result.stopped).toBe(false);
    expect(result.tables.every((t) => t.outcome === 'done')).toBe(true);
    const waits = events.filter((e) => e.kind === 'waiting');
    expect(waits).toHaveLength(flaky.failures);
    expect(flaky.failures).toBeGreaterThan(FAST_RETRY.budget);
    expect(waits[0]).toMatchObject({ kind: 'waiting', reason: 'injected outage' });
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('a refused key waits too; an outage limit ends the run naming the cause', async () => {
    const refused = new FlakyTarget(new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR }), 1, Math.random, () => new TargetAuthError('Convex refused the admin/deploy key (HTTP 401)'));
    // The outage is measured on a clock that moves 10 ms each time it is read
    // (once per refused call), so the limit of 50 ms is reached at the sixth
    // refusal whatever the machine's speed: past the retry budget of 2.
    let clock = 0;
    const err = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, refused, {
      config: STORY_SITE_TABLES,
      retry: FAST_RETRY,
      callsInFlight: 1,
      outageLimitMs: 50,
      now: () => (clock += 10),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect((err as Error).message).toBe('Convex unavailable for 0 s (limit 0 s): Convex refused the admin/deploy key (HTTP 401)');
    expect(refused.failures).toBe(6);
  });
});
