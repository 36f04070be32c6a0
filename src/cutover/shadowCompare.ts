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
