/**
 * The forward switch (cutoverWriteStage) on the second app, the ledger (text
 * and composite keys, numeric, enum, timestamptz, text[]), on each backend:
 * refusals that name every reason and hold nothing; an outbox that does not
 * drain, or holds dead letters, refuses the switch and the group stays on
 * Postgres; and a switch under live writes through the write router, with the
 * relay running, after which every acknowledged write is in both stores
 * exactly once, the Convex writes are versioned above the raised floor, and
 * the move is audited with its pause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { mapRow } from '../../src/mapping/index.js';
import { runParity } from '../../src/parity/index.js';
import { withTransaction } from '../../src/postgres/database.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import {
  createWriteRouter,
  cutoverWriteStage,
  readWriteGroups,
  readWriteStageHistory,
  relayOutboxDrain,
  saveWriteGroups,
  WriteCutoverRefusedError,
  WriteFlags,
  WriteStageRefusedError,
} from '../../src/writeCutover/index.js';
import { entryRow, LEDGER } from '../convex/anyAppFixture.js';
import { openLedger, type LedgerStack } from '../reverseSync/ledgerFixture.js';
import { FAST_RELAY } from '../support/mirror.js';
import { availableBackends } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';

const TABLES = ['account', 'entry'];
const GROUP = 'ledger';
const WRITERS = ['W-1', 'W-2', 'W-3'];
const as = { actor: 'test', why: 'ledger cutover' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const convexRow = (table: string, row: Record<string, unknown>) =>
  mapRow(table, row, LEDGER).columns;

describe.each(await availableBackends())('forward write switch on the ledger [%s]', (backend) => {
  let stack: LedgerStack;
  let relay: Relay;
  const pool = () => stack.db.pool;
  const state = async () => ({
    groups: (await readWriteGroups(pool(), TOOL)).map((g) => [g.name, g.stage, g.pausedAt]),
    history: await readWriteStageHistory(pool(), TOOL),
  });

  beforeAll(async () => {
    stack = await openLedger(backend);
    relay = new Relay(
      {
        tool: TOOL,
        pool: pool(),
        target: stack.target,
        mapper: mirrorMapper(LEDGER),
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      FAST_RELAY,
    );
    await saveWriteGroups(pool(), TOOL, [{ name: GROUP, tables: TABLES, writePaths: ['post'] }], as);
    for (const code of WRITERS)
      await pool().query(
        `INSERT INTO ledger.account VALUES ($1, $2, 0, '2024-02-29T12:00:00Z', '{gold}')`,
        [code, `Holder of ${code}`],
      );
  }, 60_000);
  afterAll(async () => {
    await relay?.stop();
    await stack?.close();
  });

  it('refuses a group whose reads are not on convex and whose gates are unmet, naming each; holds and writes nothing', async () => {
    const before = await state();
    const refused = await cutoverWriteStage(pool(), TOOL, {
      ...as,
      group: GROUP,
      gates: async () => [
        { table: 'entry', gate: 'backfill-complete', evidence: 'backfill is not started' },
      ],
      outbox: { drain: () => Promise.reject(new Error('not called')) },
      convex: { raiseVersionFloor: () => Promise.reject(new Error('not called')) },
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WriteStageRefusedError);
    expect((refused as Error).message).toBe(
      'stage: ledger: postgres → convex refused: reads are not on convex: account reads at postgres, entry reads at postgres; ' +
        'gates unmet: entry backfill-complete (backfill is not started); pass --force --reason "…" to do it anyway (audited)',
    );
    expect(await state()).toEqual(before);
  });

  it('refuses the switch when the outbox does not drain in time, or holds dead letters of the group; the group stays on postgres', async () => {
    const before = await state();
    const floors: number[] = [];
    const request = {
      ...as,
      group: GROUP,
      force: true,
      gates: async () => [],
      outbox: relayOutboxDrain(pool(), TOOL),
      convex: { raiseVersionFloor: async (f: number) => (floors.push(f), f) },
      deadlineMs: 50,
      catchUpMs: 0,
    };
    const slow = await cutoverWriteStage(pool(), TOOL, request).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(WriteCutoverRefusedError);
    expect((slow as Error).message).toMatch(
      /^outbox: ledger: the outbox did not drain in time \(3 event\(s\) of its tables not yet in Convex; is the relay running\?\); writes stay on postgres, resumed after \d+ ms$/,
    );
    expect(await state()).toEqual(before);

    await pool().query(`UPDATE tandem.outbox SET status = 'dead' WHERE status = 'pending'`);
    const dead = await cutoverWriteStage(pool(), TOOL, { ...request, catchUpMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((dead as WriteCutoverRefusedError).outbox).toEqual({
      drained: false,
      pending: 0,
      dead: 3,
    });
    expect((dead as Error).message).toBe(
      'outbox: ledger: 3 dead-lettered event(s) of its tables never reached Convex (retry or discard them: tandem dlq); writes stay on postgres, resumed after 0 ms',
    );
    expect([await state(), floors]).toEqual([before, []]);
    await pool().query(
      `UPDATE tandem.outbox SET status = 'pending', next_attempt_at = now() WHERE status = 'dead'`,
    );
  });

  it('switches under live writes: every acknowledged write in both stores exactly once, Convex writes above the floor, audited', async () => {
    const flags = await WriteFlags.start({ tool: TOOL, pool: pool(), pollMs: 50, listen: false });
    const post = (store: 'postgres' | 'convex') =>
      store === 'postgres'
        ? async (code: string, line: number) => {
            await withTransaction(pool(), async (tx) => {
              await tx.query(`INSERT INTO ledger.entry VALUES ($1, $2, $3, $4, $5)`, [
                code,
                line,
                `${line}.50`,
                line % 2 === 0 ? 'credit' : 'debit',
                `memo ${line}`,
              ]);
              await tx.query('UPDATE ledger.account SET balance = $2 WHERE code = $1', [
                code,
                String(line),
              ]);
            });
            return store;
          }
        : async (code: string, line: number) => {
            await stack.target.runMutationByPath('ledger:post', {
              tables: TABLES,
              entry: convexRow('entry', entryRow(code, line, { memo: `memo ${line}` })),
              balance: String(line),
            });
            return store;
          };
    const router = createWriteRouter({
      stages: flags,
      groups: { post: GROUP },
      postgres: { post: post('postgres') },
      convex: { post: post('convex') },
    });
    relay.start();
    const acks = new Map<string, string[]>(WRITERS.map((w) => [w, []]));
    let stop = false;
    const writer = async (code: string) => {
      while (!stop) {
        const line = acks.get(code)!.length + 1;
        acks.get(code)!.push(await router.writes.post(code, line));
        await sleep(2);
      }
    };
    const countAt = (store: string) =>
      Math.min(...WRITERS.map((w) => acks.get(w)!.filter((s) => s === store).length));
    const traffic = Promise.all(WRITERS.map(writer));
    while (countAt('postgres') < 3) await sleep(10);
    let tick = 0;
    const result = await cutoverWriteStage(pool(), TOOL, {
      ...as,
      group: GROUP,
      force: true,
      gates: async () => [],
      outbox: relayOutboxDrain(pool(), TOOL),
      convex: changeLogSource(stack.target),
      hold: router,
      deadlineMs: 30_000,
      clock: () => (tick += 10),
    });
    await flags.refresh();
    while (countAt('convex') < 3) await sleep(10);
    stop = true;
    await traffic;
    await relay.stop();
    await flags.close();
    const worker = new ReverseSyncWorker({
      tool: TOOL,
      pool: pool(),
      source: changeLogSource(stack.target),
      config: LEDGER,
      idleMs: 5,
      log: silentLogger,
    });
    expect(await worker.drain(undefined, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });

    expect([result.from, result.forced, result.pauseMs, result.outbox]).toEqual([
      'postgres',
      true,
      20,
      { drained: true, pending: 0, dead: 0 },
    ]);
    expect(result.overridden.map((r) => r.reason)).toEqual(['reads-not-convex']);
    const entries = (
      await pool().query<{ account_code: string; line: number; balance: string }>(
        `SELECT e.account_code, e.line, a.balance::text AS balance
           FROM ledger.entry e JOIN ledger.account a ON a.code = e.account_code ORDER BY 1, 2`,
      )
    ).rows;
    const convexEntries = await stack.target.documents('entry');
    for (const code of WRITERS) {
      const stores = acks.get(code)!;
      const firstConvex = stores.indexOf('convex');
      // Postgres until the switch, Convex from then on: no write went back.
      expect(
        stores.slice(firstConvex).every((s) => s === 'convex'),
        code,
      ).toBe(true);
      const lines = stores.map((_, i) => i + 1);
      expect(entries.filter((e) => e.account_code === code).map((e) => e.line)).toEqual(lines);
      expect(entries.find((e) => e.account_code === code)!.balance).toBe(String(lines.length));
      const inConvex = convexEntries.filter((d) => d.account_code === code);
      expect(inConvex.map((d) => d.line).sort((a, b) => Number(a) - Number(b))).toEqual(lines);
      for (const d of inConvex) {
        const wroteInConvex = stores[Number(d.line) - 1] === 'convex';
        expect(Number(d.pgVersion) > result.floor, `${code} line ${d.line}`).toBe(wroteInConvex);
      }
    }
    const parity = await runParity(pool(), TOOL, stack.target, {
      config: LEDGER,
      mode: 'full',
      record: false,
    });
    expect(parity.clean).toBe(true);
    const last = (await readWriteStageHistory(pool(), TOOL, GROUP)).at(-1)!;
    expect([last.action, last.from, last.to, last.forced, last.pauseMs, last.detail]).toEqual([
      'set',
      'postgres',
      'convex',
      true,
      10,
      { outbox: { drained: true, pending: 0, dead: 0 }, floor: result.floor },
    ]);
    expect((await readWriteGroups(pool(), TOOL)).map((g) => [g.stage, g.pausedAt])).toEqual([
      ['convex', null],
    ]);
  }, 120_000);
});
