/**
 * The transition table, cell by cell (an expected matrix written out here,
 * not derived from the code), what checkTransition does with and without
 * --force in each cell, and the spec table in docs/read-cutover.md equal to
 * the code's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkTransition,
  impliedPercent,
  mostConservative,
  READ_STAGES,
  TRANSITIONS,
  type ReadStage,
  type Transition,
} from '../../src/cutover/readStages.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Rows: from; columns: to, in READ_STAGES order.
const EXPECTED: Record<ReadStage, Transition[]> = {
  postgres: ['same', 'allowed', 'force', 'force', 'force'],
  shadow: ['allowed', 'same', 'allowed', 'allowed', 'force'],
  'convex-internal': ['allowed', 'allowed', 'same', 'allowed', 'force'],
  'convex-percent': ['allowed', 'allowed', 'allowed', 'same', 'allowed'],
  convex: ['allowed', 'allowed', 'allowed', 'allowed', 'same'],
};

const setting = (stage: ReadStage, percent?: number) => ({
  stage,
  percent: impliedPercent(stage, stage === 'convex-percent' ? (percent ?? 10) : undefined),
});

describe('read stage transitions', () => {
  it('has exactly the expected rule in each of the 25 cells', () => {
    const actual = Object.fromEntries(
      READ_STAGES.map((from) => [from, READ_STAGES.map((to) => TRANSITIONS[from][to])]),
    );
    expect(actual).toEqual(EXPECTED);
  });

  it.each(READ_STAGES.flatMap((from) => READ_STAGES.map((to) => [from, to] as const)))(
    '%s → %s: checked with and without --force',
    (from, to) => {
      const rule = EXPECTED[from][READ_STAGES.indexOf(to)];
      const plain = checkTransition(setting(from), setting(to, 20));
      const forced = checkTransition(setting(from), setting(to, 20), { force: true });
      if (rule === 'allowed') {
        expect(plain).toEqual({ ok: true, forced: false });
        expect(forced).toEqual({ ok: true, forced: false });
      } else if (rule === 'force') {
        expect(plain).toMatchObject({ ok: false, reason: 'needs_force' });
        expect(forced).toEqual({ ok: true, forced: true });
      } else if (from === 'convex-percent') {
        // A new percentage is a move within convex-percent; the same one is not.
        expect(plain).toEqual({ ok: true, forced: false });
        expect(checkTransition(setting(from, 20), setting(to, 20))).toMatchObject({ ok: false, reason: 'unchanged' });
      } else {
        expect(plain).toMatchObject({ ok: false, reason: 'unchanged' });
        expect(forced).toMatchObject({ ok: false, reason: 'unchanged' });
      }
    },
  );

  it('every stage may go back to postgres without --force', () => {
    for (const from of READ_STAGES.filter((s) => s !== 'postgres'))
      expect(checkTransition(setting(from), setting('postgres'))).toEqual({ ok: true, forced: false });
  });

  it('names the skipped step when refusing', () => {
    expect(checkTransition(setting('postgres'), setting('convex'))).toEqual({
      ok: false,
      reason: 'needs_force',
      message: 'postgres → convex skips shadow; pass --force to do it anyway (audited)',
    });
    expect(checkTransition(setting('shadow'), setting('convex'))).toMatchObject({
      message: 'shadow → convex skips convex-percent (a sticky ramp); pass --force to do it anyway (audited)',
    });
  });

  it('validates percentages: only convex-percent takes one, 0–100 in 0.01 steps', () => {
    expect(impliedPercent('convex-percent', 0)).toBe(0);
    expect(impliedPercent('convex-percent', 12.34)).toBe(12.34);
    expect(impliedPercent('convex', undefined)).toBe(100);
    expect(impliedPercent('shadow', undefined)).toBe(0);
    expect(() => impliedPercent('convex-percent', 100.5)).toThrow('percent: must be a number from 0 to 100 (got 100.5)');
    expect(() => impliedPercent('convex-percent', -1)).toThrow('percent: must be a number from 0 to 100 (got -1)');
    expect(() => impliedPercent('convex-percent', 1.234)).toThrow('percent: at most two decimals');
    expect(() => impliedPercent('convex-percent', undefined)).toThrow('percent: convex-percent needs a percentage');
    expect(() => impliedPercent('shadow', 5)).toThrow('percent: only convex-percent takes a percentage (stage shadow)');
  });

  it('a read over several tables runs at the most conservative stage', () => {
    expect(mostConservative(['convex', 'convex-percent', 'shadow'])).toBe('shadow');
    expect(mostConservative(['convex', 'convex-internal'])).toBe('convex-internal');
    expect(mostConservative([])).toBe('postgres');
  });

  it('docs/read-cutover.md carries the same transition table', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/read-cutover.md'), 'utf8');
    const block = doc.split('<!-- transitions:start -->')[1]!.split('<!-- transitions:end -->')[0]!;
    const rows = block
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.startsWith('|--') && !l.startsWith('| from'))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
    const header = block.split('\n').find((l) => l.startsWith('| from'))!;
    expect(header.split('|').slice(2, -1).map((c) => c.trim().replace(/`/g, ''))).toEqual([...READ_STAGES]);
    expect(Object.fromEntries(rows.map(([from, ...cells]) => [from, cells]))).toEqual(
      Object.fromEntries(READ_STAGES.map((from) => [from, READ_STAGES.map((to) => TRANSITIONS[from][to])])),
    );
  });
});
