/**
 * sortInSteps orders positions exactly as a stable sort does (ties keep
 * their position order), for any lengths around its run and step sizes,
 * presorted input included, and yields along the way on large inputs so a
 * caller can pause; runPaced stops where its pause throws.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runPaced, runToEnd, sortInSteps } from '../../../src/convex/indexedStore/sortInSteps.js';

function stableOrder(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
}

describe('sortInSteps', () => {
  it('gives the stable sort order of positions for random values with many ties', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 3000 }),
          fc.integer({ min: 0, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => i % 7)),
        ),
        (values) => {
          const order = runToEnd(sortInSteps(values.length, (a, b) => values[a]! - values[b]!));
          expect([...order]).toEqual(stableOrder(values));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sorts presorted and reversed inputs of 100,000 positions, yielding between steps', () => {
    for (const values of [
      Array.from({ length: 100_000 }, (_, i) => i),
      Array.from({ length: 100_000 }, (_, i) => -i),
    ]) {
      const steps = sortInSteps(values.length, (a, b) => values[a]! - values[b]!);
      let yields = 0;
      let next = steps.next();
      for (; !next.done; next = steps.next()) yields += 1;
      expect([...next.value]).toEqual(stableOrder(values));
      expect(yields).toBeGreaterThan(10);
    }
  });

  it('runPaced awaits the pause at every step and stops where it throws', async () => {
    const values = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 1000);
    let pauses = 0;
    const sorted = await runPaced(sortInSteps(values.length, (a, b) => values[a]! - values[b]!), () => {
      pauses += 1;
    });
    expect([...sorted]).toEqual(stableOrder(values));
    expect(pauses).toBeGreaterThan(10);
    let compared = 0;
    const stopped = runPaced(
      sortInSteps(values.length, (a, b) => (compared++, values[a]! - values[b]!)),
      () => {
        throw new Error('stop');
      },
    );
    await expect(stopped).rejects.toThrow('stop');
    expect(compared).toBeLessThan(20_000);
  });
});
