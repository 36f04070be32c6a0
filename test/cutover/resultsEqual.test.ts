/**
 * The shadow comparison's equality: the structural check answers equal
 * results at once, and results that differ only in representation (a Date
 * against its ISO text, key order, an undefined key) still compare equal
 * through the canonical form; real differences never do. The sliced form
 * (what the reader runs in the background) answers exactly the same, and
 * lets the event loop run while it walks a large result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/cutover/reader.js';
import { resultsEqual, resultsEqualSliced } from '../../src/cutover/shadowCompare.js';
import type { ShadowOutcome, ShadowRecorder } from '../../src/cutover/shadowStore.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const row = { code: 'ACC-01', balance: '100.5', opened_at: new Date('2024-02-29T12:00:00Z'), tags: ['gold'] };

describe('resultsEqual', () => {
  it('equal results, in any key order', () => {
    expect(resultsEqual({ a: row, b: [1, 2n] }, { b: [1, 2n], a: { ...row } })).toBe(true);
  });

  it('the same value in another representation: a Date and its ISO text, an undefined key and no key', () => {
    expect(resultsEqual(row, { ...row, opened_at: '2024-02-29T12:00:00.000Z' })).toBe(true);
    expect(resultsEqual({ ...row, memo: undefined }, row)).toBe(true);
  });

  it('minus zero and zero are equal, as in the JSON a response carries and in PostgreSQL', () => {
    expect(resultsEqual({ n: -0 }, { n: 0 })).toBe(true);
    expect(resultsEqual([0], [-0])).toBe(true);
  });

  it('real differences', () => {
    const cases: Array<[unknown, unknown]> = [
      [row, { ...row, balance: '100.6' }],
      [{ n: 1 }, { n: '1' }],
      [{ n: 1 }, { n: 1n }],
      [[1, 2], [2, 1]],
      [row, { ...row, tags: ['gold', 'silver'] }],
      [{ at: new Date(0) }, { at: new Date(1) }],
    ];
    for (const [a, b] of cases) expect(resultsEqual(a, b), JSON.stringify([a, b], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(false);
  });
});

/** Pairs that are equal, differ in representation only, or really differ, in every shape the walk handles. */
const pairs: Array<[unknown, unknown]> = [
  [{ a: row, b: [1, 2n] }, { b: [1, 2n], a: { ...row } }],
  [row, { ...row, opened_at: '2024-02-29T12:00:00.000Z' }],
  [{ ...row, memo: undefined }, row],
  [{ n: -0 }, { n: 0 }],
  [[0], [-0]],
  [{ n: NaN }, { n: NaN }],
  [row, { ...row, balance: '100.6' }],
  [{ n: 1 }, { n: '1' }],
  [{ n: 1 }, { n: 1n }],
  [[1, 2], [2, 1]],
  [[1, 2], [1, 2, 3]],
  [{ a: 1 }, { a: 1, b: 2 }],
  [{ a: 1, b: undefined }, { a: 1, c: undefined }],
  [{ at: new Date(0) }, { at: new Date(1) }],
  [{ m: new Map([['k', 1]]) }, { m: new Map([['k', 1]]) }],
  [{ m: new Map([['k', 1]]) }, { m: new Map([['k', 2]]) }],
  [{ b: new Uint8Array([1, 2]) }, { b: new Uint8Array([1, 2]) }],
  [{ b: new Uint8Array([1, 2]) }, { b: new Uint8Array([1, 3]) }],
  [Object.assign(Object.create(null), { a: 1 }), Object.assign(Object.create(null), { a: 1 })],
  [null, {}],
  [[], {}],
  ['x'.repeat(100_000), 'x'.repeat(100_000)],
  ['x'.repeat(100_000), `${'x'.repeat(99_999)}y`],
];
const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

describe('resultsEqualSliced', () => {
  it('answers what resultsEqual answers, whatever the slice size', async () => {
    for (const [a, b] of pairs)
      for (const slice of [{ values: 1 }, { values: 3 }, {}])
        expect(await resultsEqualSliced(a, b, slice), `${show([a, b])} ${show(slice)}`).toBe(resultsEqual(a, b));
  });

  it('answers what resultsEqual answers on generated JSON values and their near copies', async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    await fc.assert(
      fc.asyncProperty(json, json, fc.boolean(), async (a, other, copy) => {
        const b = copy ? (JSON.parse(JSON.stringify(a)) as unknown) : other;
        expect(await resultsEqualSliced(a, b, { values: 2 })).toBe(resultsEqual(a, b));
      }),
      { numRuns: 300 },
    );
  });

  const bigResult = () =>
    Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `story ${i}`, public: i % 2 === 0, set: [i, i + 1] }));

  it('lets a timer run while it compares 100,000 rows, and still finds them equal', async () => {
    const [a, b] = [bigResult(), bigResult()];
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    let timerRanBeforeTheEnd: boolean | undefined;
    const equal = await resultsEqualSliced(a, b).then((v) => ((timerRanBeforeTheEnd = timerRan), v));
    expect([equal, timerRanBeforeTheEnd]).toEqual([true, true]);
    b[99_999]!.set[1] = 0;
    expect(await resultsEqualSliced(a, b)).toBe(false);
  });

  it('the reader compares a shadow read in slices: a timer set after the read runs before the match is recorded', async () => {
    const outcomes: Array<[ShadowOutcome['class'], boolean]> = [];
    let timerRan = false;
    const recorder = { record: (o: ShadowOutcome) => outcomes.push([o.class, timerRan]), flush: async () => {}, expect: () => {} };
    const reader = new Reader({
      tool: DEFAULT_TOOL_SCHEMA,
      flags: { stageOf: () => ({ stage: 'shadow', percent: 0, salt: 's' }) },
      pool: null,
      recorder: recorder as unknown as ShadowRecorder,
    });
    const result = await reader.read({ tables: ['story'], user: { id: 1 }, postgres: async () => bigResult(), convex: async () => bigResult() });
    setTimeout(() => (timerRan = true), 0);
    await reader.settled();
    expect([result.source, result.decision, outcomes]).toEqual(['postgres', 'shadow', [['match', true]]]);
  });
});
