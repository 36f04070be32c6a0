/**
 * A page of rows turned into backfill calls (pageSteps), on a rental table
 * (a second schema beside the story site's): the calls carry every row Convex
 * can hold, in key order; a row it cannot hold is set aside as rejected, and
 * each step's checkpoint passes exactly the rows it covers, so a checkpoint
 * never passes a row that was neither sent nor recorded as rejected.
 */
import { describe, expect, it } from 'vitest';
import { pageSteps } from '../../src/backfill/pageBatches.js';
import type { PageRow } from '../../src/backfill/readPage.js';
import { estimateChangeBytes, mapChange, type MirrorConfig } from '../../src/mapping/index.js';

const RENTAL: MirrorConfig = {
  schema: 'public',
  tables: [
    {
      schema: 'public',
      name: 'rental',
      columns: [
        { name: 'rental_id', type: 'int4', nullable: false },
        { name: 'amount', type: 'numeric', nullable: true },
        { name: 'note', type: 'jsonb', nullable: true },
      ],
      primaryKey: ['rental_id'],
      foreignKeys: [],
    },
  ],
};

/** A row Convex can hold, or (bad) one whose JSON holds a lone UTF-16 surrogate (not a UTF-8 string). */
function row(id: number, version: number, bad = false): PageRow {
  return {
    key: String(id),
    keyValues: [String(id)],
    version,
    row: { rental_id: id, amount: `${id}.50`, note: bad ? { days: '\uD800' } : { days: id } },
  };
}

const LIMITS = { maxChanges: 2, maxBytes: 1024 * 1024, maxIndexRanges: 1000 };

function plan(page: PageRow[]) {
  let call = 0;
  return pageSteps('rental', page, RENTAL, LIMITS, () => ++call);
}

/** A step as keys sent per call, rows, first and last key, checkpoint, rejected keys. */
const summary = (steps: ReturnType<typeof plan>['steps']) =>
  steps.map((s) => ({
    calls: s.batches?.map((b) => [b.txid, b.changes.map((c) => `${c.key}@${c.version}`)]) ?? null,
    rows: s.rows,
    keys: [s.firstKey, s.lastKey],
    checkpoint: s.checkpoint,
    rejected: s.rejected.map((r) => r.key),
  }));

describe('pageSteps: a page of rows as backfill calls', () => {
  it('packs the rows into calls in key order, each with its version, each step checkpointed at its last row', () => {
    const page = [row(1, 0), row(2, 7), row(3, 0), row(4, 0), row(5, 9)];
    const { steps, bytes } = plan(page);
    expect(summary(steps)).toEqual([
      {
        calls: [['backfill:rental:1', ['1@0', '2@7']]],
        rows: 2,
        keys: ['1', '2'],
        checkpoint: ['2'],
        rejected: [],
      },
      {
        calls: [['backfill:rental:2', ['3@0', '4@0']]],
        rows: 2,
        keys: ['3', '4'],
        checkpoint: ['4'],
        rejected: [],
      },
      {
        calls: [['backfill:rental:3', ['5@9']]],
        rows: 1,
        keys: ['5', '5'],
        checkpoint: ['5'],
        rejected: [],
      },
    ]);
    // The page's bytes are its mapped rows' estimated sizes, added up.
    const sizes = page.map((r) =>
      estimateChangeBytes(
        mapChange(
          {
            seq: r.version,
            txid: '',
            table: 'rental',
            key: r.key,
            op: 'insert',
            row: r.row,
            operationKey: null,
          },
          RENTAL,
        ),
      ),
    );
    expect(bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(bytes).toBeGreaterThan(sizes[0]!);
  });

  it('sets a rejected row inside a call aside with the step that passes it, and still sends the rows after it', () => {
    const { steps } = plan([row(1, 0), row(2, 3, true), row(3, 0), row(4, 0)]);
    expect(summary(steps)).toEqual([
      {
        calls: [['backfill:rental:1', ['1@0', '3@0']]],
        rows: 2,
        keys: ['1', '3'],
        checkpoint: ['3'],
        rejected: ['2'],
      },
      {
        calls: [['backfill:rental:2', ['4@0']]],
        rows: 1,
        keys: ['4', '4'],
        checkpoint: ['4'],
        rejected: [],
      },
    ]);
    expect(steps[0]!.rejected).toEqual([
      expect.objectContaining({ key: '2', version: 3, column: 'note', rule: 'string-utf8' }),
    ]);
  });

  it('ends with a step of rejected rows only (no call) when the page ends with them', () => {
    const { steps } = plan([row(1, 0), row(2, 0, true), row(3, 0, true)]);
    expect(summary(steps)).toEqual([
      {
        calls: [['backfill:rental:1', ['1@0']]],
        rows: 1,
        keys: ['1', '1'],
        checkpoint: ['1'],
        rejected: [],
      },
      { calls: null, rows: 0, keys: ['2', '3'], checkpoint: ['3'], rejected: ['2', '3'] },
    ]);
  });

  it('a page of rejected rows only is one step with no call (copyTable never passes an empty page)', () => {
    expect(summary(plan([row(1, 0, true), row(2, 0, true)]).steps)).toEqual([
      { calls: null, rows: 0, keys: ['1', '2'], checkpoint: ['2'], rejected: ['1', '2'] },
    ]);
  });
});
