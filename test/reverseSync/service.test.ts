/**
 * ReverseSyncService on the second app (the ledger: text and composite keys):
 * it asks Convex nothing while every write group writes to Postgres, runs its
 * worker once a group's writer is Convex (Postgres then receives exactly the
 * rows Convex wrote, at their versions), stops when no group is left at
 * `convex`, and a stop between pages followed by a new service goes on from
 * the cursor without applying anything twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { mapRow } from '../../src/mapping/index.js';
import { readCursor } from '../../src/reverseSync/applyPage.js';
import { changeLogSource, type ChangeLogSource } from '../../src/reverseSync/changeLog.js';
import { ReverseSyncService } from '../../src/reverseSync/service.js';
import type { WriteStage } from '../../src/writeCutover/writeStages.js';
import type { WriteStageChangeEvent } from '../../src/writeCutover/writeFlags.js';
import { accountRow, entryRow, LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends } from '../support/db.js';
import { openLedger, type LedgerStack } from './ledgerFixture.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';

const TABLES = ['account', 'entry'];
const GROUP = 'account+entry';

/** The write stages as WriteFlags reports them, set by the test. */
class Stages {
  private stage: WriteStage = 'postgres';
  private readonly listeners = new Set<(changes: WriteStageChangeEvent[]) => void>();
  groups() {
    return [{ name: GROUP, stage: this.stage, tables: TABLES }];
  }
  onChange(listener: (changes: WriteStageChangeEvent[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(stage: WriteStage) {
    const before = { stage: this.stage, paused: false };
    this.stage = stage;
    for (const l of this.listeners) l([{ group: GROUP, before, after: { stage, paused: false } }]);
  }
}

/** The change log through a counter of every call made to Convex. */
function counted(source: ChangeLogSource): ChangeLogSource & { calls: number } {
  const wrapped = {
    calls: 0,
    readChangeLog: (...a: Parameters<ChangeLogSource['readChangeLog']>) => (wrapped.calls++, source.readChangeLog(...a)),
    pendingChanges: (...a: Parameters<ChangeLogSource['pendingChanges']>) => (wrapped.calls++, source.pendingChanges(...a)),
    pruneChangeLog: (...a: Parameters<ChangeLogSource['pruneChangeLog']>) => (wrapped.calls++, source.pruneChangeLog(...a)),
    raiseVersionFloor: (...a: Parameters<ChangeLogSource['raiseVersionFloor']>) => (wrapped.calls++, source.raiseVersionFloor(...a)),
  };
  return wrapped;
}

async function waitFor(what: string, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(await availableBackends())('the reverse-sync service on the ledger [%s]', (backend) => {
  let stack: LedgerStack;
  let stages: Stages;
  let source: ReturnType<typeof counted>;
  let service: ReverseSyncService;
  const mutate = (name: string, args: Record<string, unknown>) =>
    stack.target.runMutationByPath(`ledger:${name}`, { tables: TABLES, ...args });
  const convexRow = (table: string, row: Record<string, unknown>) => mapRow(table, row, LEDGER).columns;
  const start = () =>
    ReverseSyncService.start({
      tool: TOOL,
      pool: stack.db.pool,
      source,
      config: LEDGER,
      stages,
      idleMs: 5,
      retry: { budget: 3, baseDelayMs: 1, maxDelayMs: 5 },
      log: silentLogger,
    });
  const pending = async () => (await changeLogSource(stack.target).pendingChanges(await readCursor(stack.db.pool, TOOL))).pending;
  const postgresRows = async () =>
    (
      await stack.db.pool.query<{ row: string }>(
        `SELECT 'account ' || code || ' ' || balance::text AS row FROM ledger.account
         UNION ALL SELECT 'entry ' || account_code || '/' || line || ' ' || amount::text FROM ledger.entry ORDER BY 1`,
      )
    ).rows.map((r) => r.row);
  const versions = async () =>
    (
      await stack.db.pool.query<{ row: string }>(
        `SELECT table_name || ' ' || key || ' ' || version AS row FROM tandem.reverse_sync_key ORDER BY 1`,
      )
    ).rows.map((r) => r.row);
  const convexVersions = async () => {
    const rows: string[] = [];
    for (const table of TABLES)
      for (const doc of await stack.target.documents(table)) rows.push(`${table} ${String(doc.pgKey)} ${String(doc.pgVersion)}`);
    return rows.sort();
  };

  beforeAll(async () => {
    stack = await openLedger(backend);
    stages = new Stages();
    source = counted(changeLogSource(stack.target));
    service = start();
  });
  afterAll(async () => {
    await service?.stop();
    await stack?.close();
  });

  it('asks Convex nothing while the group writes to Postgres', async () => {
    await mutate('open', { row: convexRow('account', accountRow('ACC-1')) });
    await service.settled();
    expect(service.running).toBe(false);
    expect(source.calls).toBe(0);
    expect(await pending()).toBe(1);
    expect(await postgresRows()).toEqual([]);
  });

  it('once the group writes to Convex, Postgres receives exactly the rows Convex wrote, at their versions', async () => {
    stages.set('convex');
    await service.settled();
    expect(service.running).toBe(true);
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 1)), balance: '998.50' });
    await waitFor('reverse sync to drain', async () => (await pending()) === 0);
    expect(await postgresRows()).toEqual(['account ACC-1 998.50', 'entry ACC-1/1 1.50']);
    expect(await versions()).toEqual(await convexVersions());
  });

  it('stops when no group writes to Convex, and a new service goes on from the cursor', async () => {
    stages.set('postgres');
    await service.settled();
    expect(service.running).toBe(false);
    const calls = source.calls;
    const cursor = await readCursor(stack.db.pool, TOOL);
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 2)), balance: '996.00' });
    await service.settled();
    expect(source.calls).toBe(calls);
    expect(await pending()).toBe(2);

    await service.stop();
    stages.set('convex');
    await service.settled();
    expect(service.running).toBe(false);
    service = start();
    await service.settled();
    expect(service.running).toBe(true);
    await waitFor('the new service to drain', async () => (await pending()) === 0);
    expect(await readCursor(stack.db.pool, TOOL)).toBeGreaterThan(cursor);
    expect(await postgresRows()).toEqual([
      'account ACC-1 996.00',
      'entry ACC-1/1 1.50',
      'entry ACC-1/2 2.50',
    ]);
    expect(await versions()).toEqual(await convexVersions());
    const applied = await stack.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tandem.reverse_sync_key WHERE version > $1',
      [cursor],
    );
    expect(applied.rows[0]!.n).toBe(2);
  });
});
