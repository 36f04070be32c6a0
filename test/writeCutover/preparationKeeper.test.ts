/**
 * The keeper of an application's Convex write paths (reserved ids…): it calls
 * `prepare` only while some group writes in Convex, for exactly those groups'
 * tables, at once when the stages change and then on its interval, never two
 * runs at a time, and it goes on after a failed run.
 */
import { describe, expect, it } from 'vitest';
import { PreparationKeeper } from '../../src/writeCutover/preparationKeeper.js';
import type { WriteGroupSource } from '../../src/reverseSync/service.js';

type Group = { name: string; stage: 'postgres' | 'convex-shadow' | 'convex'; tables: string[] };

function stagesOf(groups: Group[]): WriteGroupSource & { set(name: string, stage: Group['stage']): void } {
  const listeners = new Set<Parameters<WriteGroupSource['onChange']>[0]>();
  return {
    groups: () => groups,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(name, stage) {
      groups.find((g) => g.name === name)!.stage = stage;
      for (const l of listeners) l([]);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PreparationKeeper', () => {
  it('prepares nothing until a group writes in Convex, then its tables at once and on each interval', async () => {
    const stages = stagesOf([
      { name: 'a', stage: 'postgres', tables: ['a1', 'a2'] },
      { name: 'b', stage: 'convex-shadow', tables: ['b1'] },
    ]);
    const calls: string[][] = [];
    const keeper = PreparationKeeper.start({ stages, intervalMs: 40, prepare: async (t) => void calls.push([...t]) });
    try {
      await sleep(120);
      expect(calls).toEqual([]);
      stages.set('a', 'convex');
      await keeper.tick();
      expect(calls[0]).toEqual(['a1', 'a2']);
      await expect.poll(() => calls.length, { timeout: 2000 }).toBeGreaterThanOrEqual(3);
      expect(new Set(calls.map((c) => c.join(',')))).toEqual(new Set(['a1,a2']));
      stages.set('a', 'postgres');
      await keeper.tick();
      const after = calls.length;
      await sleep(150);
      expect(calls.length).toBe(after);
    } finally {
      await keeper.stop();
    }
  });

  it('never runs twice at once, and goes on after a failure', async () => {
    const stages = stagesOf([{ name: 'a', stage: 'convex', tables: ['a1'] }]);
    let running = 0;
    let overlapped = false;
    let n = 0;
    const keeper = PreparationKeeper.start({
      stages,
      intervalMs: 10,
      prepare: async () => {
        running += 1;
        overlapped ||= running > 1;
        n += 1;
        await sleep(50);
        running -= 1;
        if (n === 1) throw new Error('Convex unreachable');
      },
    });
    try {
      await expect.poll(() => keeper.counts.runs, { timeout: 3000 }).toBeGreaterThanOrEqual(2);
      expect({ overlapped, failures: keeper.counts.failures }).toEqual({ overlapped: false, failures: 1 });
    } finally {
      await keeper.stop();
    }
    const stopped = n;
    await sleep(80);
    expect(n).toBe(stopped);
  });
});
