/**
 * What a shadow read's difference is: lag (Convex has not applied yet what
 * Postgres has, or has applied something newer than Postgres's snapshot) or
 * drift (a real difference), told apart by the outbox.
 *
 * Two ways, chosen per read:
 * - **exact** (the default): the read is re-done once nothing is pending; equal
 *   then is lag, still different with nothing in flight is drift, and a
 *   difference that never settles is left as lag;
 * - **within a stated tolerance** (the read's `compare`): the read's own
 *   comparison is told how many changes to its tables are in flight and says
 *   whether the difference is within what they can explain. Within: lag, at
 *   once, even while changes keep coming (a count or a sum under steady
 *   writes never settles). Beyond: re-checked while changes are in flight,
 *   and drift when it stays beyond — so a real difference is found under live
 *   writes, which the exact way leaves undecided.
 */
import type pg from 'pg';
import { countChangesInFlight, changesInFlight, type ShadowClass } from './shadowCompare.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

export function settle<T>(run: () => Promise<T>, timeoutMs: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, error: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    Promise.resolve()
      .then(run)
      .then(
        (value) => resolve({ ok: true, value }),
        (err: unknown) => resolve({ ok: false, error: (err as Error)?.message ?? String(err) }),
      )
      .finally(() => clearTimeout(timer));
  });
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a read's own comparison is told. */
export interface CompareContext {
  /** Changes to the read's tables pending in the outbox, or applied while it ran (or just before). */
  changesInFlight: number;
}

/** Within what the changes in flight can explain (`ok`), or not, with what differs. */
export type CompareVerdict = { ok: true } | { ok: false; detail?: string };

/**
 * A read's comparison with a stated tolerance, for reads whose results move
 * by a bounded amount per change (counts, sums, statistics): given how many
 * changes are in flight, is the difference between the two results one they
 * can explain? It is called only when the results differ.
 */
export type ShadowComparator<T> = (
  postgres: T,
  other: T,
  context: CompareContext,
) => CompareVerdict | Promise<CompareVerdict>;

export interface ClassifyInput<T> {
  pool: pg.Pool | null;
  tables: readonly string[];
  /** The two reads, to re-do them. */
  first: () => Promise<T>;
  second: () => Promise<T>;
  /** Exact equality after the read's normalization. */
  equal: (a: T, b: T) => boolean;
  /** When the read started (ms), for changes applied while it ran. */
  started: number;
  recheckMs: number;
  recheckAttempts: number;
  inFlightMarginMs: number;
  timeoutMs: number;
  /** True once the process is stopping: re-checks end there, the difference left as lag. */
  stopped?: () => boolean;
}

const STOPPED: Classified = { class: 'lag', detail: 'changes in flight; re-checks ended as the process stopped' };

export interface Classified {
  class: ShadowClass;
  detail: string;
}

/** The exact way: drift only when the difference stays with nothing in flight. */
export async function classifyExact<T>(input: ClassifyInput<T>, tool: ToolSchema): Promise<Classified> {
  const { pool, tables } = input;
  if (!pool) return { class: 'drift', detail: 'no outbox to tell lag from drift' };
  let since = input.started;
  if (!(await changesInFlight(pool, tool, tables, Date.now() - since + input.inFlightMarginMs)))
    return { class: 'drift', detail: 'differs with no change in flight' };
  for (let attempt = 1; attempt <= input.recheckAttempts; attempt++) {
    await delay(input.recheckMs);
    if (input.stopped?.()) return STOPPED;
    // Re-read only once nothing is pending: what was applied meanwhile is in both stores.
    if (await changesInFlight(pool, tool, tables, 0)) continue;
    since = Date.now();
    const [p, c] = await rereadBoth(input);
    if (!p.ok || !c.ok) continue;
    if (input.equal(p.value, c.value))
      return { class: 'lag', detail: `changes in flight; equal after ${attempt} re-check(s)` };
    if (!(await changesInFlight(pool, tool, tables, Date.now() - since + input.inFlightMarginMs)))
      return {
        class: 'drift',
        detail: `still differs after the changes in flight settled (re-check ${attempt})`,
      };
  }
  return { class: 'lag', detail: `changes still in flight after ${input.recheckAttempts} re-checks` };
}

function rereadBoth<T>(input: ClassifyInput<T>): Promise<[Settled<T>, Settled<T>]> {
  return Promise.all([settle(input.first, input.timeoutMs), settle(input.second, input.timeoutMs)]);
}

/** The stated-tolerance way: the read's `compare` decides what the changes in flight explain. */
export async function classifyWithTolerance<T>(
  input: ClassifyInput<T>, tool: ToolSchema,
  compare: ShadowComparator<T>,
  results: [T, T],
): Promise<Classified> {
  const { pool, tables } = input;
  let [a, b] = results;
  let since = input.started;
  for (let attempt = 0; ; attempt++) {
    const window = Date.now() - since + input.inFlightMarginMs;
    const n = pool ? await countChangesInFlight(pool, tool, tables, window) : 0;
    const verdict = await compare(a, b, { changesInFlight: n });
    const after = attempt ? ` after ${attempt} re-check(s)` : '';
    if (verdict.ok)
      return n === 0
        ? { class: 'match', detail: `within the read's tolerance with nothing in flight${after}` }
        : { class: 'lag', detail: `within the stated tolerance for ${n} change(s) in flight${after}` };
    if (n === 0 || attempt >= input.recheckAttempts) {
      const why = verdict.detail ? `: ${verdict.detail}` : '';
      return {
        class: 'drift',
        detail: `beyond the stated tolerance for ${n} change(s) in flight${after}${why}`,
      };
    }
    await delay(input.recheckMs);
    if (input.stopped?.()) return STOPPED;
    since = Date.now();
    const [p, c] = await rereadBoth(input);
    if (!p.ok || !c.ok) continue;
    if (input.equal(p.value, c.value))
      return { class: 'lag', detail: `changes in flight; equal after ${attempt + 1} re-check(s)` };
    [a, b] = [p.value, c.value];
  }
}
