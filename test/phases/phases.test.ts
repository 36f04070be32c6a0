/**
 * The phase machine's transition table, exhaustively: every (from, to) pair
 * of phases is classified against rules stated here independently of the
 * code, and docs/phases.md prints exactly the code's steps and gates.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyMove, GATES, PHASES, STEPS, type Phase } from '../../src/phases/index.js';

const REVERSIBLE_UP_TO = PHASES.indexOf('writes-on-convex');

function expected(from: Phase, to: Phase): 'forward' | 'back' | 'refused' {
  const [i, j] = [PHASES.indexOf(from), PHASES.indexOf(to)];
  if (j === i + 1) return 'forward';
  if (j < i && i <= REVERSIBLE_UP_TO) return 'back';
  return 'refused';
}

describe('phase transitions', () => {
  it('classifies all 81 pairs: one step forward, back only before the freeze, nothing else', () => {
    const seen: string[] = [];
    for (const from of PHASES) {
      for (const to of PHASES) {
        const move = classifyMove(from, to);
        expect(move.kind, `${from} -> ${to}`).toBe(expected(from, to));
        if (move.kind === 'forward') expect(move.step).toEqual(STEPS.find((s) => s.from === from));
        seen.push(`${from}>${to}`);
      }
    }
    expect(seen).toHaveLength(PHASES.length ** 2);
  });

  it('says why a move is refused', () => {
    expect(classifyMove('mirroring', 'verified')).toEqual({
      kind: 'refused',
      reason: 'verified is more than one phase ahead of mirroring: advance to backfilled first',
    });
    expect(classifyMove('frozen', 'verified')).toEqual({
      kind: 'refused',
      reason: 'frozen is left only by tandem unfreeze',
    });
    expect(classifyMove('decommissioned', 'archived')).toEqual({
      kind: 'refused',
      reason: 'a decommissioned table does not come back',
    });
  });

  it('chains every phase, and every gate guards exactly one step', () => {
    expect(STEPS.map((s) => s.from)).toEqual(PHASES.slice(0, -1));
    expect(STEPS.map((s) => s.to)).toEqual(PHASES.slice(1));
    expect(STEPS.flatMap((s) => s.gates).sort()).toEqual(Object.keys(GATES).sort());
  });

  it('is the table docs/phases.md prints', () => {
    const doc = fs.readFileSync(new URL('../../docs/phases.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z-]+)` \| `([a-z-]+)` \| ([^|]+) \|$/gm)].map((m) => ({
      from: m[1],
      to: m[2],
      gates: [...m[3]!.matchAll(/`([a-z-]+)`/g)].map((g) => g[1]),
    }));
    expect(rows).toEqual(STEPS.map((s) => ({ from: s.from, to: s.to, gates: [...s.gates] })));
  });
});
