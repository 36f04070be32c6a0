/** The page's number formats (dashboard/src/format.ts): exact strings, including the edges. */
import { describe, expect, it } from 'vitest';
import * as fmt from '../../dashboard/src/format.js';

describe('dashboard formats', () => {
  it('shows a missing figure as a dash', () => {
    expect([
      fmt.count(null),
      fmt.ratio(null),
      fmt.millis(undefined),
      fmt.age(null),
      fmt.when(null),
    ]).toEqual(['–', '–', '–', '–', '–']);
  });

  it('never rounds a failure up to 100 %', () => {
    expect(fmt.ratio(1)).toBe('100.0 %');
    expect(fmt.ratio(0.99999)).toBe('99.9 %');
    expect(fmt.ratio(0.972)).toBe('97.2 %');
    expect(fmt.ratio(0)).toBe('0.0 %');
  });

  it('formats counts, latencies and ages', () => {
    expect(fmt.count(1234567)).toBe('1,234,567');
    expect([fmt.millis(4.25), fmt.millis(42.4), fmt.millis(1500)]).toEqual([
      '4.3 ms',
      '42 ms',
      '1.50 s',
    ]);
    expect([
      fmt.age(0),
      fmt.age(59.9),
      fmt.age(60),
      fmt.age(3725),
      fmt.age(90_061),
      fmt.age(7200),
    ]).toEqual(['0 s', '59 s', '1 min', '1 h 2 min', '1 d 1 h', '2 h']);
  });

  it('names the percentage only where a stage has one', () => {
    expect(fmt.stage('convex-percent', 25)).toBe('convex-percent 25 %');
    expect(fmt.stage('shadow', 0)).toBe('shadow');
    expect(fmt.when(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02 03:04:05Z');
  });
});
