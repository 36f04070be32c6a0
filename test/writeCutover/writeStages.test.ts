/**
 * The write-stage transition table, cell by cell (the expected matrix written
 * out here), and the copy in docs/write-cutover.md equal to the code's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  requireWriteStage,
  WRITE_STAGES,
  WRITE_TRANSITIONS,
  writerOf,
  type WriteStage,
  type WriteTransition,
} from '../../src/writeCutover/writeStages.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const EXPECTED: Record<WriteStage, WriteTransition[]> = {
  postgres: ['same', 'checked', 'checked'],
  'convex-shadow': ['allowed', 'same', 'checked'],
  convex: ['drain', 'drain', 'same'],
};

describe('write stage transitions', () => {
  it('has exactly the expected rule in each of the 9 cells', () => {
    expect(WRITE_STAGES).toEqual(['postgres', 'convex-shadow', 'convex']);
    expect(
      Object.fromEntries(
        WRITE_STAGES.map((from) => [from, WRITE_STAGES.map((to) => WRITE_TRANSITIONS[from][to])]),
      ),
    ).toEqual(EXPECTED);
  });

  it('docs/write-cutover.md prints the same table', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/write-cutover.md'), 'utf8');
    const block = doc
      .split('<!-- write-transitions:start -->')[1]!
      .split('<!-- write-transitions:end -->')[0]!;
    const rows = block
      .trim()
      .split('\n')
      .slice(2)
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim().replace(/`/g, '')),
      );
    const header = block
      .trim()
      .split('\n')[0]!
      .split('|')
      .slice(2, -1)
      .map((c) => c.trim().replace(/`/g, ''));
    expect(header).toEqual([...WRITE_STAGES]);
    expect(Object.fromEntries(rows.map(([from, ...cells]) => [from, cells]))).toEqual(
      Object.fromEntries(
        WRITE_STAGES.map((from) => [from, WRITE_STAGES.map((to) => WRITE_TRANSITIONS[from][to])]),
      ),
    );
  });

  it('only convex makes Convex the writer; unknown stages are refused by name', () => {
    expect(WRITE_STAGES.map(writerOf)).toEqual(['postgres', 'postgres', 'convex']);
    expect(() => requireWriteStage('sideways')).toThrow(
      'stage: unknown write stage "sideways" (one of postgres, convex-shadow, convex)',
    );
  });
});
