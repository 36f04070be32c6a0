/**
 * The OpenFeature provider through the real server SDK (values, variants,
 * stickiness, change events, the metrics hook), and the read router's
 * routing on an ad-hoc two-table read interface: which store serves whom at
 * each stage, the Convex fallback, and routedReads reporting the source.
 */
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { inPercent, userBucket } from '../../src/cutover/buckets.js';
import type { TableStage } from '../../src/cutover/decide.js';
import { createCutoverMetrics } from '../../src/cutover/metrics.js';
import { ReadStageProvider } from '../../src/cutover/openFeature.js';
import type { StageChangeEvent } from '../../src/cutover/readFlags.js';
import { Reader, routedReads, type ServedRead } from '../../src/cutover/reader.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

/** Stages held in memory, with change listeners like a ReadFlags client. */
class MemoryStages {
  stages = new Map<string, TableStage>();
  private listeners = new Set<(c: StageChangeEvent[]) => void>();
  stageOf(table: string): TableStage {
    return this.stages.get(table) ?? { stage: 'postgres', percent: 0, salt: '' };
  }
  set(table: string, stage: TableStage): void {
    const before = this.stageOf(table);
    this.stages.set(table, stage);
    for (const l of this.listeners) l([{ table, before, after: stage }]);
  }
  onChange(listener: (c: StageChangeEvent[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

describe('OpenFeature provider (real SDK)', () => {
  const stages = new MemoryStages();
  const metrics = createCutoverMetrics(new Registry());
  afterAll(() => OpenFeature.close());

  it('resolves a table stage per user, stickily, with the stage as variant', async () => {
    await OpenFeature.setProviderAndWait(new ReadStageProvider(stages, { metrics }));
    const client = OpenFeature.getClient();
    stages.set('film', { stage: 'convex-percent', percent: 30, salt: 'film-salt' });
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const values = await Promise.all(users.map((u) => client.getStringValue('tandem.read.film', 'postgres', { targetingKey: u })));
    expect(values).toEqual(users.map((u) => (inPercent(userBucket('film-salt', u), 30) ? 'convex' : 'postgres')));
    const details = await client.getStringDetails('tandem.read.film', 'postgres', { targetingKey: users[0]! });
    expect([details.variant, details.reason, details.flagMetadata]).toEqual(['convex-percent', 'SPLIT', { stage: 'convex-percent', percent: 30, shadow: false }]);
    expect(await client.getBooleanValue('tandem.read.film', true, {})).toBe(false);
    expect(await client.getStringValue('tandem.read.film', 'x', { targetingKey: 'u', internal: true })).toBe('convex');
    expect(await client.getObjectValue('tandem.read.film+actor', {} as Record<string, string>, { targetingKey: 'u' })).toEqual({
      source: 'postgres', stage: 'postgres', percent: 0, shadow: false,
    });
    const missing = await client.getStringDetails('other.flag', 'dflt', {});
    expect([missing.value, missing.errorCode]).toEqual(['dflt', 'FLAG_NOT_FOUND']);
    const counted = (await metrics.registry.getSingleMetric('tandem_read_flag_evaluations_total')!.get()).values
      .filter((v) => v.labels.variant === 'convex-percent')
      .reduce((n, v) => n + v.value, 0);
    expect(counted).toBe(203);
  });

  it('announces a stage change as ConfigurationChanged for the table flag', async () => {
    const changed: string[][] = [];
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, (e) => {
      changed.push((e as { flagsChanged?: string[] } | undefined)?.flagsChanged ?? []);
    });
    stages.set('film', { stage: 'postgres', percent: 0, salt: 'film-salt' });
    await new Promise((r) => setTimeout(r, 10));
    expect(changed).toEqual([['tandem.read.film']]);
    expect(await OpenFeature.getClient().getStringValue('tandem.read.film', 'convex', { targetingKey: 'user-1' })).toBe('postgres');
  });
});

describe('read router on an ad-hoc schema', () => {
  interface Shelf {
    booksOnShelf(shelf: number): Promise<string[]>;
    authorOf(book: string): Promise<string>;
  }
  const calls: string[] = [];
  const pg: Shelf = {
    booksOnShelf: async (s) => (calls.push(`pg:books:${s}`), ['a', 'b']),
    authorOf: async (b) => (calls.push(`pg:author:${b}`), 'pg-author'),
  };
  let convexFails = false;
  const cx: Shelf = {
    booksOnShelf: async (s) => (calls.push(`cx:books:${s}`), ['a', 'b']),
    authorOf: async (b) => {
      calls.push(`cx:author:${b}`);
      if (convexFails) throw new Error('convex down');
      return 'cx-author';
    },
  };
  const stages = new MemoryStages();
  const reader = new Reader<{ id: number; staff?: boolean }>({ tool: DEFAULT_TOOL_SCHEMA, flags: stages, pool: null, isInternal: (u) => u.staff === true });
  const routes = routedReads(reader, {
    postgres: pg,
    convex: cx,
    tables: { booksOnShelf: ['shelf', 'book'], authorOf: ['book', 'author'] },
  });

  it('serves each user from the store their stages choose and reports it', async () => {
    const served: ServedRead[] = [];
    const as = (user: { id: number; staff?: boolean } | null) => routes({ user, onServed: (s) => served.push(s) });
    stages.set('book', { stage: 'convex-internal', percent: 0, salt: 's' });
    stages.set('author', { stage: 'convex', percent: 100, salt: 's' });
    stages.set('shelf', { stage: 'convex', percent: 100, salt: 's' });
    expect(await as({ id: 1, staff: true }).authorOf('x')).toBe('cx-author');
    expect(await as({ id: 2 }).authorOf('x')).toBe('pg-author');
    expect(await as(null).booksOnShelf(3)).toEqual(['a', 'b']);
    // shelf is at convex but book is not: the read runs at convex-internal.
    expect(await as({ id: 1, staff: true }).booksOnShelf(4)).toEqual(['a', 'b']);
    expect(served.map((s) => `${s.method}:${s.source}`)).toEqual([
      'authorOf:convex', 'authorOf:postgres', 'booksOnShelf:postgres', 'booksOnShelf:convex',
    ]);
    expect(calls).toEqual(['cx:author:x', 'pg:author:x', 'pg:books:3', 'cx:books:4']);
  });

  it('a failed Convex read is answered from Postgres and flagged', async () => {
    convexFails = true;
    const r = await reader.read({ tables: ['author'], user: { id: 9 }, postgres: () => pg.authorOf('y'), convex: () => cx.authorOf('y') });
    expect(r).toEqual({ value: 'pg-author', source: 'postgres', decision: 'convex', fellBack: true });
    const strict = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags: stages, pool: null, convexFallback: false });
    await expect(strict.read({ tables: ['author'], postgres: () => pg.authorOf('y'), convex: () => cx.authorOf('y') })).rejects.toThrow('convex down');
    await expect(reader.read({ tables: [], postgres: async () => 1, convex: async () => 1 })).rejects.toThrow('tables: a read names at least one table');
  });

  it('in shadow, the second read starts only after the caller has its result, and settled() still waits for it', async () => {
    stages.set('shelf', { stage: 'shadow', percent: 0, salt: 's' });
    const order: string[] = [];
    const served = reader
      .read({ tables: ['shelf'], postgres: async () => 'rows', convex: async () => (order.push('second read'), 'rows') })
      .then((r) => order.push(`caller has ${r.value} from ${r.source}`));
    await served;
    await reader.settled();
    expect(order).toEqual(['caller has rows from postgres', 'second read']);
  });

  it('shadows the share of reads its sample rate names: the reader\'s, a read\'s own, or a routed method\'s', async () => {
    const shadowStages = new MemoryStages();
    for (const t of ['shelf', 'book', 'author']) shadowStages.set(t, { stage: 'shadow', percent: 0, salt: 's' });
    // random() walks 0.05, 0.15, …, 0.95: a rate r shadows exactly the draws below r.
    let draw = 0;
    const sampled = new Reader({
      tool: DEFAULT_TOOL_SCHEMA, flags: shadowStages, pool: null,
      shadow: { sampleRate: 0.3 }, random: () => ((draw++ % 10) + 0.5) / 10,
    });
    const seconds: string[] = [];
    const tenReads = async (sampleRate?: number) => {
      for (let i = 0; i < 10; i++)
        await sampled.read({ tables: ['shelf'], sampleRate, postgres: async () => 1, convex: async () => (seconds.push(`${sampleRate}`), 1) });
      await sampled.settled();
    };
    await tenReads();
    await tenReads(0.8);
    await tenReads(0);
    const routedPaths = routedReads(sampled, {
      postgres: pg, convex: cx,
      tables: { booksOnShelf: ['shelf', 'book'], authorOf: ['book', 'author'] },
      sampleRate: { booksOnShelf: 0.5 },
    })({});
    calls.length = 0;
    for (let i = 0; i < 10; i++) await routedPaths.booksOnShelf(i);
    for (let i = 0; i < 10; i++) await routedPaths.authorOf(`b${i}`);
    await sampled.settled();
    const counted = (prefix: string) => calls.filter((c) => c.startsWith(prefix)).length;
    expect([seconds.filter((s) => s === 'undefined').length, seconds.filter((s) => s === '0.8').length, seconds.filter((s) => s === '0').length, counted('cx:books'), counted('cx:author'), counted('pg:')])
      .toEqual([3, 8, 0, 5, 3, 20]);
  });

  it('compares at most maxPerSecond reads per read name, refilled with time, and counts the rest skipped (budget)', async () => {
    const shadowStages = new MemoryStages();
    shadowStages.set('shelf', { stage: 'shadow', percent: 0, salt: 's' });
    const budgetMetrics = createCutoverMetrics(new Registry());
    let now = 1_000;
    const budgeted = new Reader({
      tool: DEFAULT_TOOL_SCHEMA, flags: shadowStages, pool: null, metrics: budgetMetrics,
      shadow: { maxPerSecond: 2 }, now: () => now,
    });
    const compared: string[] = [];
    const reads = async (name: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await budgeted.read({ name, tables: ['shelf'], postgres: async () => 1, convex: async () => (compared.push(name), 1) });
        expect([r.source, r.decision]).toEqual(['postgres', 'shadow']);
      }
      await budgeted.settled();
    };
    await reads('a', 5); // a full bucket: 2
    await reads('b', 1); // its own bucket
    now += 500; // half a second refills one
    await reads('a', 2);
    now += 10_000; // a long quiet spell refills to the bucket's size, no more
    await reads('a', 3);
    expect(compared).toEqual(['a', 'a', 'b', 'a', 'a', 'a']);
    const skipped = (await budgetMetrics.registry.getSingleMetric('tandem_shadow_skipped_total')!.get()).values;
    expect(skipped.map((v) => [v.labels, v.value])).toEqual([[{ table: 'shelf', reason: 'budget' }, 5]]);
    // On the default clock (performance.now): three reads in a row at one per second compare the first only.
    const onClock = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags: shadowStages, pool: null, shadow: { maxPerSecond: 1 } });
    const clocked: number[] = [];
    for (let i = 0; i < 3; i++) await onClock.read({ tables: ['shelf'], postgres: async () => 1, convex: async () => (clocked.push(i), 1) });
    await onClock.settled();
    expect(clocked).toEqual([0]);
  });

  it('compares at most maxShare of all the reads routed, at any stage, and a refusal by the budget spends none of it', async () => {
    const mixed = new MemoryStages();
    mixed.set('shelf', { stage: 'shadow', percent: 0, salt: 's' });
    mixed.set('ledger', { stage: 'postgres', percent: 0, salt: 's' });
    const shareMetrics = createCutoverMetrics(new Registry());
    const shared = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags: mixed, pool: null, metrics: shareMetrics, shadow: { maxShare: 0.25 } });
    const compared: number[] = [];
    const order = ['shelf', 'shelf', 'ledger', 'ledger', 'shelf', 'shelf', 'shelf'];
    for (const [i, table] of order.entries())
      await shared.read({ tables: [table], postgres: async () => 1, convex: async () => (compared.push(i), 1) });
    await shared.settled();
    // Full at first; then each read adds a quarter, the two at postgres included, so the fifth is compared again.
    expect(compared).toEqual([0, 4]);
    const skipped = async (metrics: typeof shareMetrics) =>
      (await metrics.registry.getSingleMetric('tandem_shadow_skipped_total')!.get()).values.map((v) => [v.labels, v.value]);
    expect(await skipped(shareMetrics)).toEqual([[{ table: 'shelf', reason: 'share' }, 3]]);

    const bothMetrics = createCutoverMetrics(new Registry());
    const both = new Reader({
      tool: DEFAULT_TOOL_SCHEMA, flags: mixed, pool: null, metrics: bothMetrics, shadow: { maxShare: 0.5, maxPerSecond: 1 }, now: () => 0,
    });
    const names: string[] = [];
    for (const name of ['a', 'a', 'a', 'b'])
      await both.read({ name, tables: ['shelf'], postgres: async () => 1, convex: async () => (names.push(name), 1) });
    await both.settled();
    // a: compared; a: the share is spent; a: the share is back but a's second is spent (nothing taken); b: compared.
    expect(names).toEqual(['a', 'b']);
    expect(await skipped(bothMetrics)).toEqual([[{ table: 'shelf', reason: 'share' }, 1], [{ table: 'shelf', reason: 'budget' }, 1]]);
  });

  it('with maxInFlight comparisons under way, serves the next shadow reads uncompared and counts them skipped (busy)', async () => {
    const shadowStages = new MemoryStages();
    shadowStages.set('shelf', { stage: 'shadow', percent: 0, salt: 's' });
    const busyMetrics = createCutoverMetrics(new Registry());
    const capped = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags: shadowStages, pool: null, metrics: busyMetrics, shadow: { maxInFlight: 3 } });
    const releases: Array<() => void> = [];
    const hanging = () => new Promise<string>((resolve) => releases.push(() => resolve('rows')));
    const served = [];
    for (let i = 0; i < 5; i++) served.push(await capped.read({ tables: ['shelf'], postgres: async () => 'rows', convex: hanging }));
    expect(served.map((r) => r.source)).toEqual(['postgres', 'postgres', 'postgres', 'postgres', 'postgres']);
    // The Convex reads start on the next turn; three were started, two never were.
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(3);
    for (const release of releases.splice(0)) release();
    await capped.settled();
    await capped.read({ tables: ['shelf'], postgres: async () => 'rows', convex: hanging });
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(1); // room again once the three settled
    releases[0]!();
    await capped.settled();
    const values = async (name: string) => (await busyMetrics.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    expect(await values('tandem_shadow_skipped_total')).toEqual([[{ table: 'shelf', reason: 'busy' }, 2]]);
    expect(await values('tandem_shadow_reads_total')).toEqual([[{ table: 'shelf', mode: 'ab', class: 'match' }, 4]]);
  });

  it('refuses a budget, a share or an in-flight cap out of range, naming it', () => {
    const base = { tool: DEFAULT_TOOL_SCHEMA, flags: stages, pool: null };
    expect(() => new Reader({ ...base, shadow: { maxPerSecond: 0 } })).toThrow('shadow.maxPerSecond: a positive number of comparisons per second is expected, got 0');
    expect(() => new Reader({ ...base, shadow: { maxPerSecond: Number.POSITIVE_INFINITY } })).toThrow('shadow.maxPerSecond: a positive number of comparisons per second is expected, got Infinity');
    for (const share of [0, 1.5, Number.NaN])
      expect(() => new Reader({ ...base, shadow: { maxShare: share } })).toThrow(`shadow.maxShare: a share of reads above 0 and at most 1 is expected, got ${share}`);
    expect(() => new Reader({ ...base, shadow: { maxInFlight: 0.5 } })).toThrow('shadow.maxInFlight: a whole number of comparisons, 1 or more, is expected, got 0.5');
  });

  it('refuses a sample rate outside 0–1, or for a method the spec does not have, naming it', async () => {
    const base = { tool: DEFAULT_TOOL_SCHEMA, flags: stages, pool: null };
    expect(() => new Reader({ ...base, shadow: { sampleRate: 1.5 } })).toThrow('shadow.sampleRate: a share of reads from 0 to 1 is expected, got 1.5');
    expect(() => new Reader({ ...base, shadow: { sampleRate: Number.NaN } })).toThrow('shadow.sampleRate: a share of reads from 0 to 1 is expected, got NaN');
    const convexCalls: number[] = [];
    await expect(reader.read({ tables: ['shelf'], sampleRate: -0.1, postgres: async () => 1, convex: async () => (convexCalls.push(1), 1) }))
      .rejects.toThrow('sampleRate: a share of reads from 0 to 1 is expected, got -0.1');
    const spec = { postgres: pg, convex: cx, tables: { booksOnShelf: ['shelf'], authorOf: ['book'] } };
    expect(() => routedReads(reader, { ...spec, sampleRate: { authorOf: 2 } })).toThrow('sampleRate.authorOf: a share of reads from 0 to 1 is expected, got 2');
    expect(() => routedReads(reader, { ...spec, sampleRate: { titleOf: 0.5 } as never })).toThrow('sampleRate.titleOf: names no read method of this spec');
    expect(convexCalls).toEqual([]);
  });
});
