/**
 * Parity and repair whichever side writes, on the ledger: with Convex as the
 * writer, unapplied change-log entries are pending (not drift), drift is
 * repaired from Convex into Postgres through the reverse-sync apply; with
 * Postgres as the writer (after a rollback), repair re-emits Postgres rows
 * through the outbox as before. The CLI's options come from the saved write
 * groups (writerParityOptions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { mapRow } from '../../src/mapping/index.js';
import { repairKeys, runParity } from '../../src/parity/index.js';
import { requireTable } from '../../src/mapping/index.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { changeLogPendingKeys, repairFromConvex } from '../../src/reverseSync/parity.js';
import { savedWriteSources, writerParityOptions } from '../../src/reverseSync/writeSources.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { accountRow, entryRow, LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends } from '../support/db.js';
import { openLedger, type LedgerStack } from './ledgerFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const TABLES = ['account', 'entry'];
const CONVEX_WRITES = { account: 'convex', entry: 'convex' } as const;
const convexRow = (table: string, row: Record<string, unknown>) =>
  mapRow(table, row, LEDGER).columns;

describe.each(await availableBackends())('parity both ways [%s]', (backend) => {
  let stack: LedgerStack;
  let worker: ReverseSyncWorker;
  const mutate = (name: string, args: Record<string, unknown>) =>
    stack.target.runMutationByPath(`ledger:${name}`, { tables: TABLES, ...args });
  const parity = (sources?: typeof CONVEX_WRITES) =>
    runParity(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target, {
      config: LEDGER,
      mode: 'full',
      record: false,
      pendingWaitMs: 0,
      ...(sources
        ? {
            sources,
            convexPendingKeys: changeLogPendingKeys(stack.db.pool, DEFAULT_TOOL_SCHEMA, changeLogSource(stack.target)),
          }
        : {}),
    });
  /** A write behind everyone's back that capture does not see (the drift parity must find). */
  const uncaptured = (sql: string) =>
    stack.db.pool.query(`BEGIN; SET LOCAL tandem.reverse_sync = 'on'; ${sql}; COMMIT;`);

  beforeAll(async () => {
    stack = await openLedger(backend);
    worker = new ReverseSyncWorker({ tool: DEFAULT_TOOL_SCHEMA,
      pool: stack.db.pool,
      source: changeLogSource(stack.target),
      config: LEDGER,
      log: silentLogger,
    });
    await worker.raiseConvexVersionFloor();
    await mutate('open', { row: convexRow('account', accountRow('ACC-1')) });
    await mutate('open', { row: convexRow('account', accountRow('ACC-2')) });
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 1)), balance: '10.00' });
    await worker.drain(undefined, 10_000);
  });
  afterAll(() => stack?.close());

  it('with Convex writing, an unapplied change is pending, not drift; applied, parity is clean', async () => {
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 2)), balance: '20.00' });
    const before = await parity(CONVEX_WRITES);
    expect(before.tables.account!.pending).toEqual(['ACC-1']);
    expect(before.tables.entry!.pending).toEqual([['ACC-1', 2]]);
    expect(before.clean).toBe(false);
    // Read as if Postgres wrote it, the same state is drift: the source decides.
    const asPostgres = await parity();
    expect(asPostgres.tables.account!.different).toEqual(['ACC-1']);
    await worker.drain(undefined, 10_000);
    expect((await parity(CONVEX_WRITES)).clean).toBe(true);
  });

  it('repairs drift from Convex into Postgres: a changed row, an extra row', async () => {
    await uncaptured(`UPDATE ledger.account SET holder = 'edited by hand' WHERE code = 'ACC-2'`);
    await uncaptured(
      `INSERT INTO ledger.account (code, holder, balance) VALUES ('ACC-9', 'stray', 0)`,
    );
    const drift = await parity(CONVEX_WRITES);
    expect(drift.tables.account!.different).toEqual(['ACC-2']);
    expect(drift.tables.account!.missing).toEqual(['ACC-9']);
    const repaired = await repairFromConvex(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target, LEDGER, 'account', [
      'ACC-2',
      'ACC-9',
    ]);
    expect(repaired).toMatchObject({ table: 'account', upserts: 1, deletes: 1, skipped: 0 });
    const rows = await stack.db.pool.query('SELECT code, holder FROM ledger.account ORDER BY code');
    expect(rows.rows).toEqual([
      { code: 'ACC-1', holder: 'Holder of ACC-1' },
      { code: 'ACC-2', holder: 'Holder of ACC-2' },
    ]);
    expect((await parity(CONVEX_WRITES)).clean).toBe(true);
    const outbox = await stack.db.pool.query('SELECT count(*)::int AS n FROM tandem.outbox');
    expect(outbox.rows[0].n).toBe(0);
  });

  it('with Postgres writing again, repair re-emits Postgres rows through the outbox', async () => {
    await stack.target.run(async (ctx) => {
      const doc = (await ctx.db.query('account').collect()).find((d) => d.pgKey === 'ACC-1')!;
      await ctx.db.patch(doc._id as never, { holder: 'edited in Convex' });
    });
    const drift = await parity();
    expect(drift.tables.account!.different).toEqual(['ACC-1']);
    await repairKeys(stack.db.pool, DEFAULT_TOOL_SCHEMA, requireTable(LEDGER, 'account'), ['ACC-1']);
    const relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA,
        pool: stack.db.pool,
        target: stack.target,
        mapper: mirrorMapper(LEDGER),
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      { idleMs: 5 },
    );
    await relay.drain();
    expect((await parity()).clean).toBe(true);
  });

  it('reads the writers from the saved write groups: a Convex-written table waits for its change log and its outbox', async () => {
    const group = (name: string, stage: string) =>
      stack.db.pool.query(
        `INSERT INTO tandem.write_group (name, tables, stage, version) VALUES ($1, ARRAY[$1], $2, nextval('tandem.write_stage_version'))`,
        [name, stage],
      );
    await group('account', 'convex');
    await group('entry', 'convex-shadow');
    expect(await savedWriteSources(stack.db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ account: 'convex', entry: 'postgres' });
    // ACC-1 changed in Convex (its change-log entry not yet applied); ACC-2 changed in Postgres, its outbox event not yet relayed.
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 3)), balance: '30.00' });
    await stack.db.pool.query(`UPDATE ledger.account SET holder = 'captured, not relayed' WHERE code = 'ACC-2'`);
    const writers = await writerParityOptions(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target);
    const report = await runParity(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target, {
      config: LEDGER,
      tables: ['account'],
      mode: 'full',
      record: false,
      pendingWaitMs: 0,
      ...writers,
    });
    expect(report.tables.account!.pending).toEqual(['ACC-1', 'ACC-2']);
    expect(report.tables.account!.different).toEqual([]);
  });
});
