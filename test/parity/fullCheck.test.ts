/**
 * Full parity's range hashes and bisection against a Convex side held in a
 * map (a ParityReader over it), on a parcel table keyed by text (a schema of
 * its own): exactly which keys are missing, extra or different, and exactly
 * how many Convex round trips the bisection took to find them. The Convex
 * side's digests are added up here by hand, not with src/parity/digest.ts, so
 * a fault in the Node-side digest shows as drift where there is none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  KeyRange,
  ParityReader,
  RangeDigestPage,
  RangeRowsPage,
} from '../../src/convex/target.js';
import type { TableConfig } from '../../src/mapping/index.js';
import { fullCheck, type FullCheckOptions } from '../../src/parity/fullCheck.js';
import { noCandidates } from '../../src/parity/findings.js';
import { streamRowsInKeyOrder } from '../../src/parity/pgRows.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

const PARCEL: TableConfig = {
  schema: 'public',
  name: 'parcel',
  columns: [
    { name: 'code', type: 'text', nullable: false },
    { name: 'label', type: 'text', nullable: true },
  ],
  primaryKey: ['code'],
  foreignKeys: [],
};

/** k01 … k16: text keys whose byte order is their numeric order. */
const CODES = Array.from({ length: 16 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`);
const FAKE_HASH = (n: number) => n.toString(16).padStart(64, 'f');

/** Convex as a map of key → row hash; counts round trips and the most digests in flight at once. */
class MapReader implements ParityReader {
  digestCalls = 0;
  rowCalls = 0;
  inFlight = 0;
  peakInFlight = 0;
  constructor(
    private readonly rows: Map<string, string>,
    private readonly delayMs = 0,
    /** The digest of the range after this key fails, sooner than the others answer. */
    private readonly failAfter?: string,
  ) {}

  private inRange({ after, upTo }: KeyRange): Array<[string, string]> {
    // Text keys of one case and length order as bytes do, which is how Convex orders them.
    return [...this.rows.entries()]
      .filter(([key]) => (after === null || key > after) && (upTo === null || key <= upTo))
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }

  async rangeDigest(table: string, range: KeyRange): Promise<RangeDigestPage> {
    expect(table).toBe('parcel');
    this.digestCalls += 1;
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      const failing = this.failAfter !== undefined && range.after === this.failAfter;
      const delayMs = failing ? 1 : this.delayMs;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (failing) throw new Error(`Convex unavailable after ${range.after}`);
    } finally {
      this.inFlight -= 1;
    }
    const rows = this.inRange(range);
    let sum = 0n;
    for (const [, hash] of rows) sum = BigInt.asUintN(64, sum + BigInt(`0x${hash.slice(0, 16)}`));
    return { count: rows.length, sum: sum.toString(16).padStart(16, '0'), continueCursor: null };
  }

  async rangeRowHashes(table: string, range: KeyRange): Promise<RangeRowsPage> {
    this.rowCalls += 1;
    return {
      rows: this.inRange(range).map(([key, hash]) => ({ key, version: 1, hash })),
      continueCursor: null,
    };
  }

  rowsByKeys(): never {
    throw new Error('full check never reads rows by key');
  }
  countRows(): never {
    throw new Error('full check never counts');
  }
  query(): never {
    throw new Error('full check runs no query');
  }
}

describe.each(backends)('full parity: range digests and bisection [%s]', (backend) => {
  let db: TestDatabase;
  /** Postgres's own row hashes, as parity computes them. */
  const pgHashes = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(`CREATE TABLE parcel (code text PRIMARY KEY, label text)`);
    await db.pool.query(`INSERT INTO parcel SELECT c, 'label ' || c FROM unnest($1::text[]) c`, [
      CODES,
    ]);
    for await (const batch of streamRowsInKeyOrder(db.pool, PARCEL))
      for (const row of batch) pgHashes.set(row.key, row.hash);
  });
  afterAll(() => db?.close());

  /** Convex = Postgres, then each change applied (a hash, or undefined to remove the key). */
  function convexWith(changes: Record<string, string | undefined> = {}): Map<string, string> {
    const rows = new Map(pgHashes);
    for (const [key, hash] of Object.entries(changes)) {
      if (hash === undefined) rows.delete(key);
      else rows.set(key, hash);
    }
    return rows;
  }

  async function check(reader: MapReader, options: FullCheckOptions) {
    const result = await fullCheck(db.pool, reader, PARCEL, noCandidates(), options);
    return {
      pgRows: result.pgRows,
      convexRows: result.convexRows,
      missing: [...result.candidates.missing].sort(),
      extra: [...result.candidates.extra].sort(),
      different: [...result.candidates.different].sort(),
      convexCalls: result.convexCalls,
      mismatchedRanges: result.mismatchedRanges,
      calls: [reader.digestCalls, reader.rowCalls],
    };
  }

  it('finds nothing when Convex equals Postgres: one digest per range, the open last range included', async () => {
    expect(pgHashes.size).toBe(16);
    const reader = new MapReader(convexWith());
    expect(await check(reader, { rangeRows: 8, leafRows: 2 })).toEqual({
      pgRows: 16,
      convexRows: 16,
      missing: [],
      extra: [],
      different: [],
      convexCalls: 3,
      mismatchedRanges: 0,
      calls: [3, 0],
    });
  });

  it('bisects a range down to the leaf holding a different row', async () => {
    // Range k01–k08 → k01–k04 | k05–k08 → k01–k02 | k03–k04 → leaf k03–k04.
    const reader = new MapReader(convexWith({ k03: FAKE_HASH(3) }));
    expect(await check(reader, { rangeRows: 8, leafRows: 2 })).toEqual({
      pgRows: 16,
      convexRows: 16,
      missing: [],
      extra: [],
      different: ['k03'],
      convexCalls: 8,
      mismatchedRanges: 1,
      calls: [7, 1],
    });
  });

  it('finds a key missing and one extra in the same range (equal counts), each in its own leaf', async () => {
    // k09–k16 → k09–k12 (k085 extra) | k13–k16 (k16 missing), each bisected once more to a leaf.
    const reader = new MapReader(convexWith({ k16: undefined, k085: FAKE_HASH(85) }));
    expect(await check(reader, { rangeRows: 8, leafRows: 2 })).toEqual({
      pgRows: 16,
      convexRows: 16,
      missing: ['k16'],
      extra: ['k085'],
      different: [],
      convexCalls: 11,
      mismatchedRanges: 1,
      calls: [9, 2],
    });
  });

  it('finds an extra row that changes the count but not the sum (its hash prefix is zero)', async () => {
    const reader = new MapReader(convexWith({ k045: '0'.repeat(64) }));
    expect(await check(reader, { rangeRows: 8, leafRows: 2 })).toEqual({
      pgRows: 16,
      convexRows: 17,
      missing: [],
      extra: ['k045'],
      different: [],
      convexCalls: 8,
      mismatchedRanges: 1,
      calls: [7, 1],
    });
  });

  it('finds a key past Postgres’s last one in the open last range', async () => {
    const reader = new MapReader(convexWith({ k165: FAKE_HASH(165), k99: FAKE_HASH(99) }));
    expect(await check(reader, { rangeRows: 8, leafRows: 2 })).toEqual({
      pgRows: 16,
      convexRows: 18,
      missing: [],
      extra: ['k165', 'k99'],
      different: [],
      convexCalls: 4,
      mismatchedRanges: 1,
      calls: [3, 1],
    });
  });

  it('by default checks a small table as one range and reads its leaf at once', async () => {
    const reader = new MapReader(convexWith({ k01: undefined, k07: FAKE_HASH(7) }));
    expect(await check(reader, {})).toEqual({
      pgRows: 16,
      convexRows: 15,
      missing: ['k01'],
      extra: [],
      different: ['k07'],
      convexCalls: 2,
      mismatchedRanges: 1,
      calls: [1, 1],
    });
  });

  it('keeps at most `concurrency` range digests in flight, and at least two rows and one leaf row per range', async () => {
    const reader = new MapReader(convexWith(), 5);
    expect(await check(reader, { rangeRows: 2, concurrency: 2 })).toMatchObject({
      convexCalls: 9,
      mismatchedRanges: 0,
    });
    expect(reader.peakInFlight).toBe(2);
    const one = new MapReader(convexWith(), 5);
    // rangeRows 1 is raised to 2, concurrency 0 to 1, leafRows 0 to 1.
    expect(await check(one, { rangeRows: 1, concurrency: 0, leafRows: 0 })).toMatchObject({
      convexCalls: 9,
    });
    expect(one.peakInFlight).toBe(1);
    const leaf = new MapReader(convexWith({ k02: FAKE_HASH(2) }));
    // k01–k02 → k01 | k02: a leaf of one row.
    expect(await check(leaf, { rangeRows: 2, leafRows: 0 })).toMatchObject({
      different: ['k02'],
      calls: [11, 1],
    });
  });

  it('fails with the failing range’s error only once no other range is still being read', async () => {
    const reader = new MapReader(convexWith(), 30, 'k02');
    await expect(
      fullCheck(db.pool, reader, PARCEL, noCandidates(), { rangeRows: 2 }),
    ).rejects.toThrow('Convex unavailable after k02');
    expect(reader.inFlight).toBe(0);
  });
});
