/**
 * A TEST DOUBLE of the Convex side of parity (not Convex): an in-memory copy of
 * a table's row hashes, sorted in key order, that answers the ParityReader's
 * range queries the way the kit's tandem/parity.ts does (same bounds, same digests) and
 * sleeps a modeled round trip on every call. What it measures is the Node and
 * Postgres side of a full check plus the number of round trips; Convex's own
 * time to hash a range is not in it.
 */
import type { HashedRow, KeyRange, ParityReader, RowHash } from '../../src/convex/target.js';
import { compareKeyText, digestHex } from '../../src/parity/digest.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MemoryCopyReader implements ParityReader {
  calls = 0;
  private readonly keys: string[] = [];
  private prefixes = new BigUint64Array(1024);
  private hashes = Buffer.alloc(1024 * 32);
  /** Columns of the few rows a benchmark asks about by key (drifted ones), as Convex held them. */
  readonly columnsByKey = new Map<string, Record<string, unknown>>();

  constructor(private readonly latencyMs: number) {}

  /** Rows must come in key order (COLLATE "C"), as streamRowsInKeyOrder yields them. */
  push(key: string, hash: string): void {
    const i = this.keys.length;
    if (i === this.prefixes.length) {
      const prefixes = new BigUint64Array(i * 2);
      prefixes.set(this.prefixes);
      this.prefixes = prefixes;
      const hashes = Buffer.alloc(i * 2 * 32);
      this.hashes.copy(hashes);
      this.hashes = hashes;
    }
    this.keys.push(key);
    this.prefixes[i] = BigInt(`0x${hash.slice(0, 16)}`);
    this.hashes.write(hash, i * 32, 'hex');
  }

  get size(): number {
    return this.keys.length;
  }

  /** Index of the first key > `after` (0 when null). */
  private firstAfter(after: string | null): number {
    if (after === null) return 0;
    let [lo, hi] = [0, this.keys.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeyText(this.keys[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private *range(range: KeyRange, cursor: string | null, maxRows: number): Generator<number> {
    let n = 0;
    for (let i = this.firstAfter(cursor ?? range.after); i < this.keys.length && n < maxRows; i++, n++) {
      if (range.upTo !== null && compareKeyText(this.keys[i]!, range.upTo) > 0) return;
      yield i;
    }
  }

  private nextCursor(last: number | undefined, range: KeyRange): string | null {
    if (last === undefined || last + 1 >= this.keys.length) return null;
    const next = this.keys[last + 1]!;
    return range.upTo !== null && compareKeyText(next, range.upTo) > 0 ? null : this.keys[last]!;
  }

  private row(i: number): RowHash {
    return { key: this.keys[i]!, version: 1, hash: this.hashes.toString('hex', i * 32, i * 32 + 32) };
  }

  async rangeDigest(_table: string, range: KeyRange, cursor: string | null, maxRows: number) {
    await this.roundTrip();
    let [count, sum, last] = [0, 0n, undefined as number | undefined];
    for (const i of this.range(range, cursor, maxRows)) {
      count += 1;
      sum += this.prefixes[i]!;
      last = i;
    }
    return { count, sum: digestHex(sum), continueCursor: count < maxRows ? null : this.nextCursor(last, range) };
  }

  async rangeRowHashes(_table: string, range: KeyRange, cursor: string | null, maxRows: number) {
    await this.roundTrip();
    const rows = [...this.range(range, cursor, maxRows)];
    const continueCursor = rows.length < maxRows ? null : this.nextCursor(rows[rows.length - 1], range);
    return { rows: rows.map((i) => this.row(i)), continueCursor };
  }

  async rowsByKeys(_table: string, keys: string[]): Promise<HashedRow[]> {
    await this.roundTrip();
    const out: HashedRow[] = [];
    for (const key of keys) {
      const i = this.indexOf(key);
      if (i >= 0) out.push({ ...this.row(i), columns: this.columnsByKey.get(key) ?? {} });
    }
    return out;
  }

  private indexOf(key: string): number {
    let [lo, hi] = [0, this.keys.length - 1];
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareKeyText(this.keys[mid]!, key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  async countRows(): Promise<{ count: number; continueCursor: null }> {
    await this.roundTrip();
    return { count: this.keys.length, continueCursor: null };
  }

  async query(): Promise<never> {
    throw new Error('the parity benchmark double runs no application query');
  }

  private async roundTrip(): Promise<void> {
    this.calls += 1;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }
}
