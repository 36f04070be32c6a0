/**
 * An ad-hoc Convex app for the indexed store's conformance test (not the
 * story site's): two tables with single- and multi-field indexes over
 * optional and nullable fields, and functions that run a described sequence
 * of writes and queries in one mutation, and one page of a described query.
 */
import fc from 'fast-check';
import {
  defineSchema,
  defineTable,
  mutationGeneric,
  queryGeneric,
  type GenericDatabaseReader,
  type GenericDatabaseWriter,
  type GenericDataModel,
} from 'convex/server';
import { ConvexError, v, type Value } from 'convex/values';

export const conformanceSchema = defineSchema({
  items: defineTable({
    a: v.number(),
    b: v.optional(v.string()),
    c: v.union(v.number(), v.null()),
    tag: v.string(),
  })
    .index('by_a', ['a'])
    .index('by_a_b', ['a', 'b'])
    .index('by_b_c_a', ['b', 'c', 'a'])
    // All-string indexes: equality on every field is answered by the hash lookup.
    .index('by_b', ['b'])
    .index('by_tag_b', ['tag', 'b']),
  others: defineTable({ a: v.number(), note: v.optional(v.string()) }).index('by_a', ['a']),
});

export type RangeOp = ['eq' | 'gt' | 'gte' | 'lt' | 'lte', string, Value | undefined];

export interface QuerySpec {
  table: 'items' | 'others';
  index?: string;
  range?: RangeOp[];
  order?: 'asc' | 'desc';
  filter?: { op: 'eq' | 'neq' | 'gt' | 'lt'; field: string; value: Value };
  terminal:
    { kind: 'collect' } | { kind: 'take'; n: number } | { kind: 'first' } | { kind: 'unique' };
}

export type Op =
  | { kind: 'insert'; table: 'items' | 'others'; fields: Record<string, Value | undefined> }
  | { kind: 'patch'; ref: number; fields: Record<string, Value | undefined> }
  | { kind: 'replace'; ref: number; fields: Record<string, Value | undefined> }
  | { kind: 'delete'; ref: number }
  | { kind: 'query'; spec: QuerySpec };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = GenericDatabaseReader<GenericDataModel> & Partial<GenericDatabaseWriter<any>>;

// Arguments travel as Convex values: `undefined` is not one, so the test encodes it.
const UNDEFINED = '$undef';
const decode = (value: unknown): Value | undefined =>
  value === UNDEFINED ? undefined : (value as Value);
const decodeFields = (fields: Record<string, unknown>): Record<string, Value | undefined> =>
  Object.fromEntries(Object.entries(fields).map(([k, x]) => [k, decode(x)]));
export const encode = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value, (_k, x: unknown) => (x === undefined ? UNDEFINED : x))) as T;

function buildQuery(db: Db, encoded: QuerySpec) {
  const spec: QuerySpec = {
    ...encoded,
    index: decode(encoded.index) as string | undefined,
    range: decode(encoded.range) as RangeOp[] | undefined,
    order: decode(encoded.order) as 'asc' | 'desc' | undefined,
    filter: decode(encoded.filter) as QuerySpec['filter'],
  };
  const table = db.query(spec.table);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let query: any = spec.index
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
      table.withIndex(spec.index as never, (r: any) => {
        for (const [op, field, value] of spec.range ?? []) r = r[op](field, decode(value));
        return r;
      })
    : table;
  if (spec.order) query = query.order(spec.order);
  const filter = spec.filter;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  if (filter) query = query.filter((q: any) => q[filter.op](q.field(filter.field), filter.value));
  return query;
}

async function runQuery(db: Db, spec: QuerySpec): Promise<unknown> {
  const query = buildQuery(db, spec);
  switch (spec.terminal.kind) {
    case 'collect':
      return query.collect();
    case 'take':
      return query.take(spec.terminal.n);
    case 'first':
      return query.first();
    case 'unique':
      return query.unique();
  }
}

/** Each op's result, or its error message; `fail` ends the mutation with an error (rolled back). */
export const runOps = mutationGeneric({
  args: { ops: v.any(), fail: v.boolean(), knownIds: v.array(v.string()) },
  handler: async (ctx, { ops, fail, knownIds }) => {
    const db = ctx.db as unknown as Db & GenericDatabaseWriter<GenericDataModel>;
    // Every id inserted so far, deleted and rolled-back ones included (they make writes fail).
    const ids = [...knownIds];
    const results: unknown[] = [];
    for (const op of ops as Op[]) {
      try {
        const target = ids.length > 0 && 'ref' in op ? ids[op.ref % ids.length]! : 'none';
        switch (op.kind) {
          case 'insert':
            ids.push(await db.insert(op.table, decodeFields(op.fields) as never));
            results.push(ids.at(-1));
            break;
          case 'patch':
            await db.patch(target as never, decodeFields(op.fields) as never);
            results.push(await db.get(target as never));
            break;
          case 'replace':
            await db.replace(target as never, decodeFields(op.fields) as never);
            results.push(await db.get(target as never));
            break;
          case 'delete':
            await db.delete(target as never);
            results.push(null);
            break;
          case 'query':
            results.push(await runQuery(db, op.spec));
            break;
        }
      } catch (err) {
        results.push({ error: (err as Error).message });
      }
    }
    if (fail) throw new ConvexError({ results } as never);
    return results;
  },
});

export const page = queryGeneric({
  args: { spec: v.any(), paginationOpts: v.any() },
  handler: async (ctx, { spec, paginationOpts }) => {
    return buildQuery(ctx.db as unknown as Db, spec as QuerySpec).paginate(paginationOpts);
  },
});

export const conformanceModules = {
  './_generated/server.js': async () => ({}),
  './ops.js': async () => ({ runOps, page }),
};

// ---- arbitraries ----------------------------------------------------------------------

const aValue = fc.constantFrom(0, 1, 2, 2, 1.5);
// 'p' + 'qx' and 'pq' + 'x' join alike: the hash lookup of by_tag_b must still tell them apart.
const bValue = fc.constantFrom<string | undefined>('x', 'y', '', 'qx', undefined);
const tagValue = fc.constantFrom('p', 'q', 'pq');
const cValue = fc.constantFrom<number | null>(null, 0, 1, 2);

const itemFields = fc.record(
  { a: aValue, b: bValue, c: cValue, tag: tagValue },
  { requiredKeys: ['a', 'c', 'tag'] },
);
const otherFields = fc.record(
  { a: aValue, note: fc.constantFrom<string | undefined>('n', undefined) },
  { requiredKeys: ['a'] },
);
/** Occasionally invalid: a wrong type or an unknown field, which the validators must refuse the same way. */
const patchFields = fc.oneof(
  { weight: 8, arbitrary: fc.record({ a: aValue, b: bValue, c: cValue }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constant({ a: 'not a number' as unknown as number }) },
  { weight: 1, arbitrary: fc.constant({ unknownField: 1 }) },
);

const INDEX_FIELDS: Record<string, string[]> = {
  by_creation_time: ['_creationTime'],
  by_id: ['_id'],
  by_a: ['a'],
  by_a_b: ['a', 'b'],
  by_b_c_a: ['b', 'c', 'a'],
  by_b: ['b'],
  by_tag_b: ['tag', 'b'],
};

function valueFor(field: string): fc.Arbitrary<Value | undefined> {
  switch (field) {
    case 'a':
      return aValue;
    case 'b':
      return bValue;
    case 'c':
      return cValue;
    case 'tag':
      return tagValue;
    case '_creationTime':
      return fc.integer({ min: 0, max: 12 }).map((k) => 1_000_000 + k * 0.5);
    default:
      return fc
        .integer({ min: 10_000, max: 10_030 })
        .map((n) => `${String(n).padStart(27, '0')}items`);
  }
}

/** Valid ranges (equalities on a prefix, then bounds on the next field) and, now and then, invalid ones. */
function rangeFor(index: string): fc.Arbitrary<RangeOp[]> {
  const fields = INDEX_FIELDS[index] ?? ['a'];
  const valid = fc
    .record({
      // Short prefixes more often: long ones rarely match anything.
      eqCount: fc.oneof(
        fc.integer({ min: 0, max: Math.min(1, fields.length) }),
        fc.integer({ min: 0, max: fields.length }),
      ),
      lower: fc.constantFrom<'gt' | 'gte' | null>('gt', 'gte', null),
      upper: fc.constantFrom<'lt' | 'lte' | null>('lt', 'lte', null),
    })
    .chain(({ eqCount, lower, upper }) => {
      const eqs = fields
        .slice(0, eqCount)
        .map((f) => valueFor(f).map((x): RangeOp => ['eq', f, x]));
      const next = fields[eqCount];
      const bounds: Array<fc.Arbitrary<RangeOp>> = [];
      if (next && lower) bounds.push(valueFor(next).map((x): RangeOp => [lower, next, x]));
      if (next && upper) bounds.push(valueFor(next).map((x): RangeOp => [upper, next, x]));
      return fc.tuple(...eqs, ...bounds);
    });
  const invalid = fc
    .tuple(
      fc.record({
        op: fc.constantFrom<RangeOp[0]>('eq', 'gt', 'lt'),
        field: fc.constantFrom('a', 'b', 'c', 'tag'),
      }),
      aValue,
    )
    .map(([{ op, field }, x]): RangeOp[] => [[op, field, x]]);
  return fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

const itemsIndex = fc.constantFrom<string | undefined>(
  undefined,
  'by_creation_time',
  'by_id',
  'by_a',
  'by_a_b',
  'by_a_b',
  'by_b_c_a',
  'by_b_c_a',
  'by_b',
  'by_tag_b',
  'by_tag_b',
  'by_missing',
);
const othersIndex = fc.constantFrom<string | undefined>(
  undefined,
  'by_creation_time',
  'by_a',
  'by_a_b',
);

export const querySpec: fc.Arbitrary<QuerySpec> = fc
  .constantFrom<'items' | 'others'>('items', 'items', 'items', 'others')
  .chain((table) =>
    fc.record({
      table: fc.constant(table),
      index: table === 'items' ? itemsIndex : othersIndex,
      order: fc.constantFrom<'asc' | 'desc' | undefined>('asc', 'desc', undefined),
      filter: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc.record({
            op: fc.constantFrom<'eq' | 'neq' | 'gt' | 'lt'>('eq', 'neq', 'gt', 'lt'),
            field: fc.constantFrom('a', 'c', 'tag'),
            value: fc.oneof(aValue, cValue, fc.constant('p')),
          }),
        },
      ),

      terminal: fc.oneof(
        fc.constant({ kind: 'collect' as const }),
        fc.integer({ min: 0, max: 4 }).map((n) => ({ kind: 'take' as const, n })),
        fc.constant({ kind: 'first' as const }),
        fc.constant({ kind: 'unique' as const }),
      ),
    }),
  )
  .chain((spec) =>
    (spec.index ? rangeFor(spec.index) : fc.constant(undefined)).map(
      (range) => ({ ...spec, range }) as QuerySpec,
    ),
  );

export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: itemFields.map((fields): Op => ({ kind: 'insert', table: 'items', fields })),
  },
  {
    weight: 1,
    arbitrary: otherFields.map((fields): Op => ({ kind: 'insert', table: 'others', fields })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ ref: fc.nat(50), fields: patchFields })
      .map((x): Op => ({ kind: 'patch', ...x })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ ref: fc.nat(50), fields: itemFields })
      .map((x): Op => ({ kind: 'replace', ...x })),
  },
  { weight: 1, arbitrary: fc.nat(50).map((ref): Op => ({ kind: 'delete', ref })) },
  { weight: 4, arbitrary: querySpec.map((spec): Op => ({ kind: 'query', spec })) },
);

/** One step of a run: a mutation of several ops (rolled back when `fail`), or a full pagination of a query. */
export type Step =
  | { kind: 'mutation'; ops: Op[]; fail: boolean; clockStep: number }
  | { kind: 'paginate'; spec: QuerySpec; numItems: number; maximumRowsRead?: number };

export const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('mutation' as const),
      ops: fc.array(op, { minLength: 1, maxLength: 8 }),
      fail: fc.constantFrom(false, false, false, true),
      clockStep: fc.constantFrom(0, 0, 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constant('paginate' as const),
        spec: querySpec.map((spec) => ({ ...spec, terminal: { kind: 'collect' as const } })),
        numItems: fc.integer({ min: 1, max: 4 }),
        maximumRowsRead: fc.integer({ min: 1, max: 5 }),
      },
      { requiredKeys: ['kind', 'spec', 'numItems'] },
    ),
  },
);
