/**
 * The shadow comparison's equality: the structural check answers equal
 * results at once, and results that differ only in representation (a Date
 * against its ISO text, key order, an undefined key) still compare equal
 * through the canonical form; real differences never do.
 */
import { describe, expect, it } from 'vitest';
import { resultsEqual } from '../../src/cutover/shadowCompare.js';

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
