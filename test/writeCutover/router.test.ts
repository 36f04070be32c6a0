/**
 * The write router with fake handlers on a schema unlike the story site (the
 * shop: placing an order writes orders and line, signing up writes customer):
 * each stage runs the right store, convex-shadow answers from Postgres and
 * compares a scratch Convex run (errors by class and field), a write keeps
 * the stage it started with, and pause holds new writes until resume while
 * waiting for those in flight.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import {
  convexWrite,
  createWriteCutoverMetrics,
  createWriteRouter,
  type WriteStage,
  type WriteStageChangeEvent,
  type WriteStageSource,
} from '../../src/index.js';

/** Stages in memory, changed by the test. */
class FakeStages implements WriteStageSource {
  readonly stages = new Map<string, WriteStage>();
  readonly paused = new Set<string>();
  private readonly listeners = new Set<(c: WriteStageChangeEvent[]) => void>();
  stageOf(group: string): WriteStage {
    return this.stages.get(group) ?? 'postgres';
  }
  isPaused(group: string): boolean {
    return this.paused.has(group);
  }
  onChange(listener: (c: WriteStageChangeEvent[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(group: string, stage: WriteStage, paused = false): void {
    this.stages.set(group, stage);
    if (paused) this.paused.add(group);
    else this.paused.delete(group);
    for (const l of this.listeners) l([]);
  }
}

interface Order {
  id: number;
  customer: string;
  lines: number[];
}

/** A store of orders: what each side's handlers write to. */
function shopStore(name: string, log: string[]) {
  const orders = new Map<number, Order>();
  const customers = new Set<string>();
  return {
    orders,
    customers,
    handlers: {
      async placeOrder(input: Order): Promise<{ id: number; lines: number }> {
        log.push(`${name}.placeOrder(${input.id})`);
        if (input.lines.length === 0)
          throw new InvalidInputError('lines', 'an order has at least one line');
        orders.set(input.id, input);
        return { id: input.id, lines: input.lines.length };
      },
      async signUp(input: { code: string }): Promise<{ code: string }> {
        log.push(`${name}.signUp(${input.code})`);
        customers.add(input.code);
        return { code: input.code };
      },
    },
  };
}

const GROUPS = { placeOrder: 'line+orders', signUp: 'customer' };

function setup() {
  const calls: string[] = [];
  const lines: string[] = [];
  const stages = new FakeStages();
  const pg = shopStore('postgres', calls);
  const cx = shopStore('convex', calls);
  const scratch = shopStore('scratch', calls);
  const metrics = createWriteCutoverMetrics(new Registry());
  const router = createWriteRouter({
    stages,
    groups: GROUPS,
    postgres: pg.handlers,
    convex: cx.handlers,
    shadow: { convex: scratch.handlers },
    metrics,
    log: pino(
      { level: 'info' },
      new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    ),
    pauseCheckMs: 5,
  });
  return { calls, lines, stages, pg, cx, scratch, metrics, router };
}

const counts = async (metric: {
  get(): Promise<{ values: Array<{ labels: object; value: number }> }>;
}) => (await metric.get()).values.map((v) => [v.labels, v.value]);

/** Handlers that record `<side> <order id>` for each order placed. */
function recordingSide(calls: string[], name: string) {
  return {
    placeOrder: async (input: Order) => {
      calls.push(`${name} ${input.id}`);
      return { id: input.id, lines: input.lines.length };
    },
    signUp: async (input: { code: string }) => input,
  };
}

describe('write router', () => {
  it('runs each write at its group stage: postgres, convex, and convex-shadow (Postgres answers, scratch compared)', async () => {
    const { calls, stages, router, pg, cx, scratch, metrics } = setup();
    expect(await router.writes.placeOrder({ id: 1, customer: 'c1', lines: [3] })).toEqual({
      id: 1,
      lines: 1,
    });
    stages.set('customer', 'convex');
    expect(await router.writes.signUp({ code: 'c9' })).toEqual({ code: 'c9' });
    stages.set('line+orders', 'convex-shadow');
    expect(await router.writes.placeOrder({ id: 2, customer: 'c9', lines: [1, 2] })).toEqual({
      id: 2,
      lines: 2,
    });
    await router.settled();
    expect(calls).toEqual([
      'postgres.placeOrder(1)',
      'convex.signUp(c9)',
      'postgres.placeOrder(2)',
      'scratch.placeOrder(2)',
    ]);
    expect([
      [...pg.orders.keys()],
      [...cx.customers],
      [...scratch.orders.keys()],
      [...pg.customers],
    ]).toEqual([[1, 2], ['c9'], [2], []]);
    expect(router.stageOf('placeOrder')).toBe('convex-shadow');
    expect(await counts(metrics.writes)).toEqual([
      [{ path: 'placeOrder', group: 'line+orders', store: 'postgres' }, 2],
      [{ path: 'signUp', group: 'customer', store: 'convex' }, 1],
    ]);
    expect(await counts(metrics.shadow)).toEqual([
      [{ path: 'placeOrder', group: 'line+orders', outcome: 'match' }, 1],
    ]);
    expect(router.differences()).toEqual([]);
  });

  it('convex-shadow records a differing result and a differing refusal, and the caller still gets Postgres', async () => {
    const { stages, router, metrics, lines } = setup();
    stages.set('line+orders', 'convex-shadow');
    const differ = createWriteRouter({
      stages,
      groups: GROUPS,
      postgres: setup().pg.handlers,
      convex: setup().cx.handlers,
      shadow: {
        convex: {
          // Counts lines wrongly, and accepts an empty order the Postgres path refuses.
          placeOrder: async (input: Order) => ({ id: input.id, lines: input.lines.length + 1 }),
          signUp: async (input: { code: string }) => ({ code: input.code }),
        },
      },
      metrics,
      log: pino(
        { level: 'info' },
        new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
      ),
    });
    expect(await differ.writes.placeOrder({ id: 5, customer: 'c1', lines: [1] })).toEqual({
      id: 5,
      lines: 1,
    });
    await expect(differ.writes.placeOrder({ id: 6, customer: 'c1', lines: [] })).rejects.toThrow(
      'lines: an order has at least one line',
    );
    await differ.settled();
    expect(differ.differences().map((d) => [d.path, d.group, d.postgres, d.convex])).toEqual([
      [
        'placeOrder',
        'line+orders',
        { ok: true, value: '{"id":5,"lines":1}' },
        { ok: true, value: '{"id":5,"lines":2}' },
      ],
      [
        'placeOrder',
        'line+orders',
        { ok: false, error: 'InvalidInputError', field: 'lines' },
        { ok: true, value: '{"id":6,"lines":1}' },
      ],
    ]);
    expect(await counts(metrics.shadow)).toEqual([
      [{ path: 'placeOrder', group: 'line+orders', outcome: 'differ' }, 2],
    ]);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'shadow write differs from postgres',
      'shadow write differs from postgres',
    ]);
    // The same refusal on both sides is a match.
    await expect(router.writes.placeOrder({ id: 7, customer: 'c1', lines: [] })).rejects.toThrow(
      'lines:',
    );
    await router.settled();
    expect(router.differences()).toEqual([]);
  });

  it('a write keeps the stage it started with; pause holds new writes and waits for those in flight; resume lets them go at the new stage', async () => {
    const calls: string[] = [];
    const stages = new FakeStages();
    stages.set('line+orders', 'convex');
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const convex = {
      placeOrder: async (input: Order) => {
        calls.push(`convex start ${input.id}`);
        if (input.id === 1) await slow;
        calls.push(`convex end ${input.id}`);
        return { id: input.id, lines: input.lines.length };
      },
      signUp: async (input: { code: string }) => input,
    };
    const postgres = {
      placeOrder: async (input: Order) => {
        calls.push(`postgres ${input.id}`);
        return { id: input.id, lines: input.lines.length };
      },
      signUp: async (input: { code: string }) => input,
    };
    const router = createWriteRouter({ stages, groups: GROUPS, postgres, convex, pauseCheckMs: 5 });
    const first = router.writes.placeOrder({ id: 1, customer: 'c1', lines: [1] });
    await new Promise((r) => setTimeout(r, 5));
    expect(router.inFlight('line+orders')).toBe(1);
    let paused = false;
    const pausing = router.pause('line+orders').then(() => (paused = true));
    const held = router.writes.placeOrder({ id: 2, customer: 'c1', lines: [1] });
    // Another group is not held.
    expect(await router.writes.signUp({ code: 'c2' })).toEqual({ code: 'c2' });
    await new Promise((r) => setTimeout(r, 20));
    expect(paused).toBe(false);
    // The stage switches while write 1 runs: it still finishes in Convex.
    stages.set('line+orders', 'postgres');
    release();
    await first;
    await pausing;
    expect(paused).toBe(true);
    expect(calls).toEqual(['convex start 1', 'convex end 1']);
    router.resume('line+orders');
    await held;
    expect(calls).toEqual(['convex start 1', 'convex end 1', 'postgres 2']);
  });

  it('after a switch, a failed read of the stages keeps the writes held and is tried again', async () => {
    const calls: string[] = [];
    let seen: WriteStage = 'convex';
    let failures = 2;
    const stages: WriteStageSource = {
      stageOf: () => seen,
      refresh: async () => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('flag store unreachable');
        }
        seen = 'postgres';
      },
    };
    const side = (name: string) => recordingSide(calls, name);
    const router = createWriteRouter({ stages, groups: GROUPS, postgres: side('postgres'), convex: side('convex'), pauseCheckMs: 5 });
    await router.pause('line+orders');
    const held = router.writes.placeOrder({ id: 7, customer: 'c1', lines: [1] });
    router.resume('line+orders');
    await new Promise((r) => setTimeout(r, 50));
    // Still held after the first failed read: it must not run at the stale stage (convex).
    expect([calls, failures]).toEqual([[], 1]);
    await held;
    expect([calls, failures]).toEqual([['postgres 7'], 0]);
  });

  it('after a switch in this process, held writes wait until the stage source has read the new stage', async () => {
    const calls: string[] = [];
    // A source that learns the committed stage only when it reads it (its poll not come yet).
    let committed: WriteStage = 'convex';
    let seen: WriteStage = 'convex';
    const reads: Array<() => void> = [];
    const stages: WriteStageSource = {
      stageOf: () => seen,
      refresh: () =>
        new Promise<void>((resolve) =>
          reads.push(() => {
            seen = committed;
            resolve();
          }),
        ),
    };
    const side = (name: string) => recordingSide(calls, name);
    const router = createWriteRouter({ stages, groups: GROUPS, postgres: side('postgres'), convex: side('convex'), pauseCheckMs: 5 });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await router.pause('line+orders');
    const first = router.writes.placeOrder({ id: 1, customer: 'c1', lines: [1] });
    committed = 'postgres'; // the rollback's switch commits
    router.resume('line+orders');
    await sleep(20);
    expect([calls, reads.length]).toEqual([[], 1]);
    // The next switch pauses again before that read is back: its hold stands.
    await router.pause('line+orders');
    reads[0]!();
    await sleep(20);
    expect(calls).toEqual([]);
    committed = 'convex';
    router.resume('line+orders');
    reads[1]!();
    await first;
    expect(calls).toEqual(['convex 1']);
  });

  it("holds a group's writes while its stage source says it is paused (a rollback in another process)", async () => {
    const { stages, router, calls, metrics } = setup();
    stages.set('customer', 'convex', true);
    const held = router.writes.signUp({ code: 'c5' });
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([]);
    stages.set('customer', 'postgres', false);
    await held;
    expect(calls).toEqual(['postgres.signUp(c5)']);
    const waited = (await metrics.pauseWait.get()).values.find(
      (v) => v.metricName === 'tandem_write_pause_wait_seconds_count',
    );
    expect([waited?.labels, waited?.value]).toEqual([{ group: 'customer' }, 1]);
  });

  it('refuses handlers with a path missing a group or a Convex handler, naming it', () => {
    const { pg, cx } = setup();
    expect(() =>
      createWriteRouter({
        stages: new FakeStages(),
        groups: { placeOrder: 'x' } as typeof GROUPS,
        postgres: pg.handlers,
        convex: cx.handlers,
      }),
    ).toThrow('groups: write path signUp has no write group');
    expect(() =>
      createWriteRouter({
        stages: new FakeStages(),
        groups: GROUPS,
        postgres: pg.handlers,
        convex: { placeOrder: cx.handlers.placeOrder } as typeof cx.handlers,
      }),
    ).toThrow('convex: write path signUp has no Convex handler');
  });

  it('convexWrite calls a Convex mutation by path through the target', async () => {
    const seen: Array<[string, Record<string, unknown>]> = [];
    const target = {
      mutation: async (path: string, args: Record<string, unknown>) => (
        seen.push([path, args]),
        { ok: path }
      ),
    };
    const place = convexWrite(
      target,
      'writes/orders:place',
      (o: Order) => ({ order: o.id }),
      (r) => (r as { ok: string }).ok,
    );
    expect(await place({ id: 4, customer: 'c', lines: [] })).toBe('writes/orders:place');
    expect(seen).toEqual([['writes/orders:place', { order: 4 }]]);
  });
});
