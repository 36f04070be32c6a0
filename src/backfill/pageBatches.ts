/**
 * Turns a page of rows into Convex calls: each row mapped like a captured
 * insert carrying the row's current version, packed by the relay's packer
 * (rows, bytes, index ranges), and each call paired with the checkpoint it
 * earns once acknowledged. Rows Convex cannot hold are set aside as rejected
 * and recorded with the checkpoint that passes them.
 */
import type { MappedChange, TransactionBatch } from '../core/changes.js';
import {
  estimateChangeBytes,
  estimateChangeIndexRanges,
  mapChange,
  MappingError,
  type MirrorConfig,
} from '../mapping/index.js';
import { packTransactions, type PackingLimits } from '../relay/packing.js';
import type { PageRow } from './readPage.js';
import type { RejectedRow } from './state.js';

/** One step of a page: a call to make (absent for a run of rejected rows only), then the checkpoint it earns. */
export interface PageStep {
  batches: TransactionBatch[] | null;
  rows: number;
  firstKey: string;
  lastKey: string;
  /** Key-column texts of the last row the step covers. */
  checkpoint: string[];
  rejected: RejectedRow[];
}

interface Item {
  row: PageRow;
  change?: MappedChange;
  rejected?: RejectedRow;
}

function mapItem(table: string, row: PageRow, config: MirrorConfig): Item {
  const captured = {
    seq: row.version,
    txid: '',
    table,
    key: row.key,
    op: 'insert' as const,
    row: row.row,
    operationKey: null,
  };
  try {
    return { row, change: mapChange(captured, config) };
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    return {
      row,
      rejected: {
        key: row.key,
        version: row.version,
        rule: err.rule,
        column: err.column,
        reason: err.message,
      },
    };
  }
}

export interface PagePlan {
  steps: PageStep[];
  /** Estimated bytes of the page's mapped rows (to size the next page). */
  bytes: number;
}

/**
 * The page's calls in key order. `nextCall` numbers the calls of a table run
 * (txids `backfill:<table>:<n>`).
 */
export function pageSteps(
  table: string,
  page: readonly PageRow[],
  config: MirrorConfig,
  limits: PackingLimits,
  nextCall: () => number,
): PagePlan {
  const items = page.map((row) => mapItem(table, row, config));
  const changes = items.flatMap((i) => (i.change ? [i.change] : []));
  const sizes = changes.map(estimateChangeBytes);
  // A page of rejected rows only makes no call (packing nothing still gives one
  // empty call, which has no rows to take and no checkpoint to earn).
  const calls =
    changes.length === 0
      ? []
      : packTransactions(
          [
            {
              txid: `backfill:${table}`,
              changes,
              sizes,
              ranges: changes.map((c) => estimateChangeIndexRanges(c, config)),
              seqs: [],
            },
          ],
          limits,
        );
  const steps: PageStep[] = [];
  let at = 0;
  const takeUntil = (changeCount: number): Item[] => {
    const taken: Item[] = [];
    let seen = 0;
    while (at < items.length && seen < changeCount) {
      const item = items[at++]!;
      taken.push(item);
      if (item.change) seen++;
    }
    return taken;
  };
  const step = (taken: Item[], batches: TransactionBatch[] | null): PageStep => ({
    batches,
    rows: taken.filter((i) => i.change).length,
    firstKey: taken[0]!.row.key,
    lastKey: taken.at(-1)!.row.key,
    checkpoint: taken.at(-1)!.row.keyValues,
    rejected: taken.flatMap((i) => (i.rejected ? [i.rejected] : [])),
  });
  for (const call of calls) {
    const count = call.batches.reduce((n, b) => n + b.changes.length, 0);
    const txid = `backfill:${table}:${nextCall()}`;
    const changesOfCall = call.batches.flatMap((b) => b.changes);
    steps.push(step(takeUntil(count), [{ txid, changes: changesOfCall }]));
  }
  if (at < items.length) steps.push(step(items.slice(at), null));
  return { steps, bytes: sizes.reduce((a, b) => a + b, 0) };
}
