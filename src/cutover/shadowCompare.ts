/**
 * How a shadow read's two results are compared and a difference classified.
 *
 * Results are compared in the mapping's canonical form (object keys sorted,
 * numbers and int64 kept apart) after the JSON a response would carry: Dates
 * become ISO-8601 strings, keys holding `undefined` disappear, byte arrays
 * become bytes. Anything an application's two reads legitimately render
 * differently (row order of an unordered query, a timestamp as ms vs. text)
 * is the read's own `normalize`.
 *
 * A difference is **lag** when Convex may simply not have applied yet what
 * Postgres has (or has applied something newer than the Postgres read saw):
 * a change to one of the read's tables is pending in the outbox, or was
 * applied while the read ran. Such a difference is re-checked once those
 * changes have settled; only a difference that remains with nothing in
 * flight is **drift**.
 */
import { dequal } from 'dequal';
import { canonicalValue } from '../mapping/index.js';
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type ShadowClass = 'match' | 'lag' | 'drift' | 'error';
/** `ab`: Postgres against Convex; `aa`: Postgres against Postgres (the noise floor). */
export type ShadowMode = 'ab' | 'aa';

function jsonLike(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : jsonLike(v)));
  if (value !== null && typeof value === 'object' && !(value instanceof ArrayBuffer)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonLike(v);
    return out;
  }
  return value;
}

/** The canonical text of a read result, equal for equal results in any key order. */
export function canonicalResult(value: unknown): string {
  return canonicalValue(jsonLike(value));
}

/**
 * Whether two read results are equal in canonical form. Most shadow reads
 * match, so a structural check (`dequal`: any key order, Dates by time,
 * bytes by content) answers them without building two canonical texts; it
 * took a quarter of the time of Node's `isDeepStrictEqual` on five ledger rows
 * (bench/readRouterCost.ts). Only values that differ structurally (a Date
 * against its ISO text, a number against a bigint) are rendered and compared
 * as text. The structural check holds -0 equal to 0, as the JSON a response
 * carries does (and PostgreSQL's `=`), though the canonical text keeps them
 * apart.
 */
export function resultsEqual(a: unknown, b: unknown): boolean {
  return dequal(a, b) || canonicalResult(a) === canonicalResult(b);
}

/** How much of a sliced comparison runs before it lets the event loop serve other work. */
export interface CompareSlice {
  /** Most value pairs looked at per slice. Default 4,096. */
  values?: number;
  /** Most time per slice (ms), checked every 64 pairs. Default 0.1. */
  ms?: number;
}

const has = Object.prototype.hasOwnProperty;
const TIME_CHECK_EVERY = 64;

/** Values dequal compares as a whole (their parts are not plain fields). */
function isLeafObject(value: object): boolean {
  return (
    value instanceof Date || value instanceof RegExp || value instanceof Set || value instanceof Map ||
    value instanceof ArrayBuffer || ArrayBuffer.isView(value)
  );
}

/**
 * One step of dequal over an explicit stack: answers the pair at once when it
 * can (false: certainly unequal) and pushes the pairs an array or object
 * defers to. The checks are dequal's own, in its terms, so the walk as a whole
 * answers exactly what `dequal(foo, bar)` answers (the order in which the
 * pairs are looked at changes only how soon a difference is found). A pair
 * that is already `===` (most leaves of a matching result) is not pushed:
 * dequal answers it true at once, and the push, the pop and the call for
 * each cost 14–18 % of a comparison's time (a same-run A/B on a 300 KB
 * story-like result and on 200 course rows, 2026-12-04).
 */
function stepEqual(foo: unknown, bar: unknown, stack: unknown[]): boolean {
  if (foo === bar) return true;
  if (!foo || !bar || typeof foo !== 'object' || typeof bar !== 'object') return dequal(foo, bar);
  const ctor = (foo as { constructor?: unknown }).constructor;
  if (ctor !== (bar as { constructor?: unknown }).constructor) return false;
  if (isLeafObject(foo)) return dequal(foo, bar);
  if (ctor === Array) {
    const x = foo as unknown[];
    const y = bar as unknown[];
    if (x.length !== y.length) return false;
    for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) stack.push(x[i], y[i]);
    return true;
  }
  const x = foo as Record<string, unknown>;
  const y = bar as Record<string, unknown>;
  let own = 0;
  for (const key in x) {
    if (has.call(x, key) && ++own && !has.call(y, key)) return false;
    if (!(key in y)) return false;
    const xv = x[key];
    const yv = y[key];
    if (xv !== yv) stack.push(xv, yv);
  }
  return Object.keys(y).length === own;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `resultsEqual`, in slices: the structural walk looks at a bounded number of
 * value pairs (or time) and then yields to the event loop (`setImmediate`, so
 * any I/O that arrived meanwhile — the next request's Postgres answer — is
 * served first). A shadow comparison runs in the background while later
 * reads are served; done in one go, a large result's walk held up whichever
 * read's answer arrived meanwhile (bench/storySiteReadStages.ts). Results
 * that differ structurally go to the canonical text at once, as in
 * resultsEqual (a difference is rare and is classified with queries anyway).
 */
export async function resultsEqualSliced(a: unknown, b: unknown, slice: CompareSlice = {}): Promise<boolean> {
  const maxValues = slice.values ?? 4096;
  const maxMs = slice.ms ?? 0.1;
  const stack: unknown[] = [a, b];
  let looked = 0;
  let sliceStarted = performance.now();
  while (stack.length > 0) {
    const bar = stack.pop();
    const foo = stack.pop();
    if (!stepEqual(foo, bar, stack)) return canonicalResult(a) === canonicalResult(b);
    looked += 1;
    if (stack.length > 0 && (looked >= maxValues || (looked % TIME_CHECK_EVERY === 0 && performance.now() - sliceStarted >= maxMs))) {
      await nextTurn();
      looked = 0;
      sliceStarted = performance.now();
    }
  }
  return true;
}

/**
 * Whether a change to any of `tables` is pending in the outbox, or was applied
 * in the last `withinMs`: while one is, the two stores may differ for a moment.
 */
export async function changesInFlight(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
  withinMs: number,
): Promise<boolean> {
  const { rows } = await db.query<{ busy: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${tool.sql}.outbox WHERE status = 'pending' AND table_name = ANY($1::text[]))
         OR EXISTS (SELECT 1 FROM ${tool.sql}.outbox
                     WHERE status <> 'pending' AND processed_at > now() - $2::int * interval '1 millisecond'
                       AND table_name = ANY($1::text[])) AS busy`,
    [tables, Math.ceil(withinMs)],
  );
  return rows[0]!.busy;
}

/**
 * How many changes to `tables` are pending in the outbox, or were applied in
 * the last `withinMs`: the most a read over them can be behind (or ahead) by.
 */
export async function countChangesInFlight(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
  withinMs: number,
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${tool.sql}.outbox
      WHERE table_name = ANY($1::text[])
        AND (status = 'pending' OR processed_at > now() - $2::int * interval '1 millisecond')`,
    [tables, Math.ceil(withinMs)],
  );
  return Number(rows[0]!.n);
}

/** Text of a result for a sample, cut at `maxBytes` (UTF-16 units, close enough for a cap). */
export function sampleText(value: unknown, maxBytes: number): string {
  let text: string;
  try {
    text = JSON.stringify(jsonLike(value), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
  } catch (err) {
    text = `(not serializable: ${(err as Error).message})`;
  }
  return text.length > maxBytes ? `${text.slice(0, maxBytes)}… (${text.length} chars, cut)` : text;
}
