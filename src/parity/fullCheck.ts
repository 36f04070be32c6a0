/**
 * Full parity of one table by range hashes. Postgres rows are streamed once in
 * key order and cut into ranges of `rangeRows` rows; for each range Convex is
 * asked for its digest (count and sum of row-hash prefixes) over the same key
 * bounds, several ranges in flight at once. A range whose digests differ is
 * bisected on the Postgres keys it holds until at most `leafRows` remain, then
 * both sides' row hashes in the leaf are compared key by key. Only the rows of
 * ranges still in flight are held in memory, so memory stays flat.
 */
import type pg from 'pg';
import type { KeyRange, ParityReader } from '../convex/target.js';
import type { TableConfig } from '../mapping/index.js';
import { convexRangeDigest, convexRangeRows } from './convexReads.js';
import { addRow, digestOf, emptyDigest, sameDigest, type Digest } from './digest.js';
import type { DriftCandidates } from './findings.js';
import { streamRowsInKeyOrder } from './pgRows.js';

export interface FullCheckOptions {
  /** Postgres rows per top-level range. Default 2000. */
  rangeRows?: number;
  /** Bisection stops at ranges of at most this many Postgres rows. Default 32. */
  leafRows?: number;
  /** Ranges whose Convex digest is being fetched at once. Default 8. */
  concurrency?: number;
}

export interface FullCheckResult {
  pgRows: number;
  convexRows: number;
  candidates: DriftCandidates;
  /** Convex round trips made (digests, leaf reads). */
  convexCalls: number;
  mismatchedRanges: number;
}

interface LeafRow {
  key: string;
  hash: string;
}

interface Range extends KeyRange {
  rows: LeafRow[];
  digest: Digest;
}

class RangeComparer {
  convexRows = 0;
  convexCalls = 0;
  mismatched = 0;

  constructor(
    private readonly reader: ParityReader,
    private readonly table: string,
    private readonly leafRows: number,
    readonly candidates: DriftCandidates,
  ) {}

  private async digest(range: KeyRange): Promise<Digest> {
    this.convexCalls += 1;
    return convexRangeDigest(this.reader, this.table, range);
  }

  async compareTop(range: Range): Promise<void> {
    const convex = await this.digest(range);
    this.convexRows += convex.count;
    if (sameDigest(range.digest, convex)) return;
    this.mismatched += 1;
    await this.bisect(range);
  }

  private async bisect(range: Range): Promise<void> {
    if (range.rows.length <= this.leafRows) return this.compareLeaf(range);
    const mid = Math.floor(range.rows.length / 2);
    const split = range.rows[mid - 1]!.key;
    const halves: Range[] = [
      { after: range.after, upTo: split, rows: range.rows.slice(0, mid), digest: emptyDigest() },
      { after: split, upTo: range.upTo, rows: range.rows.slice(mid), digest: emptyDigest() },
    ];
    await Promise.all(
      halves.map(async (half) => {
        half.digest = digestOf(half.rows.map((r) => r.hash));
        const convex = await this.digest(half);
        if (!sameDigest(half.digest, convex)) await this.bisect(half);
      }),
    );
  }

  private async compareLeaf(range: Range): Promise<void> {
    this.convexCalls += 1;
    const convex = new Map((await convexRangeRows(this.reader, this.table, range)).map((r) => [r.key, r.hash]));
    for (const row of range.rows) {
      const hash = convex.get(row.key);
      if (hash === undefined) this.candidates.missing.add(row.key);
      else if (hash !== row.hash) this.candidates.different.add(row.key);
      convex.delete(row.key);
    }
    for (const key of convex.keys()) this.candidates.extra.add(key);
  }
}

export async function fullCheck(
  pool: pg.Pool,
  reader: ParityReader,
  table: TableConfig,
  candidates: DriftCandidates,
  options: FullCheckOptions = {},
): Promise<FullCheckResult> {
  const rangeRows = Math.max(2, options.rangeRows ?? 2000);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const comparer = new RangeComparer(reader, table.name, Math.max(1, options.leafRows ?? 32), candidates);
  const inFlight: Promise<void>[] = [];
  let pgRows = 0;
  let current: Range = { after: null, upTo: null, rows: [], digest: emptyDigest() };
  const submit = async (range: Range) => {
    const compared = comparer.compareTop(range);
    compared.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
    inFlight.push(compared);
    if (inFlight.length >= concurrency) await inFlight.shift();
  };
  try {
    for await (const batch of streamRowsInKeyOrder(pool, table, rangeRows)) {
      for (const row of batch) {
        current.rows.push({ key: row.key, hash: row.hash });
        addRow(current.digest, row.hash);
        pgRows += 1;
        if (current.rows.length >= rangeRows) {
          current.upTo = row.key;
          await submit(current);
          current = { after: row.key, upTo: null, rows: [], digest: emptyDigest() };
        }
      }
    }
    // The last range is open above, so keys Convex holds past Postgres's last key are found.
    await submit(current);
  } finally {
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
  return {
    pgRows,
    convexRows: comparer.convexRows,
    candidates,
    convexCalls: comparer.convexCalls,
    mismatchedRanges: comparer.mismatched,
  };
}
