import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonValue,
  encodeJsonValue,
  isConvexFieldName,
  MappingError,
} from '../../src/mapping/index.js';
import { describe as describeValue } from '../../src/mapping/jsonValue.js';

const site = { table: 'story', key: '9', column: 'json' };
const encode = (value: unknown) => encodeJsonValue(value, site, 1);

/** `rule: detail` of the MappingError `fn` throws. */
function refusalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return `${error.rule}: ${error.detail}`;
    throw error;
  }
  return 'no error';
}

function ruleOf(fn: () => unknown): string {
  return refusalOf(fn).split(':')[0]!;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Every object key in a mapped value is a valid Convex field name. */
function allKeysValid(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(allKeysValid);
  if (value && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => isConvexFieldName(k) && allKeysValid(v));
  }
  return true;
}

describe('jsonb mapping', () => {
  it('keeps objects whose keys Convex accepts as they are', () => {
    const value = { a: [1, 'x', null, true], b: { c: 2.5 } };
    expect(encode(value)).toEqual(value);
  });

  it('encodes objects with non-ASCII, $-prefixed, _-prefixed or empty keys, sorted by key', () => {
    expect(encode({ ключ: 1, $x: 2, ok: 3 })).toEqual({
      '~tandem_keys': ['$x', 'ok', 'ключ'],
      '~tandem_values': [2, 3, 1],
    });
    expect(encode({ _id: 'a', '': 'b' })).toEqual({
      '~tandem_keys': ['', '_id'],
      '~tandem_values': ['b', 'a'],
    });
    expect(decodeJsonValue(encode({ ключ: { $x: [1] } }))).toEqual({ ключ: { $x: [1] } });
  });

  it('encodes an object that itself uses the marker keys, so decoding stays exact', () => {
    const tricky = { '~tandem_keys': ['a'], '~tandem_values': [1] };
    const encoded = encode(tricky);
    expect(encoded).toEqual({
      '~tandem_keys': ['~tandem_keys', '~tandem_values'],
      '~tandem_values': [['a'], [1]],
    });
    expect(decodeJsonValue(encoded)).toEqual(tricky);
  });

  it('encodes objects with more than 1,024 keys', () => {
    const big = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, i]));
    const encoded = encode(big) as Record<string, unknown[]>;
    expect(encoded['~tandem_keys']).toHaveLength(1025);
    expect(decodeJsonValue(encoded)).toEqual(big);
  });

  it('decodes "__proto__" keys as own properties', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const decoded = decodeJsonValue(encode(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
  });

  it('refuses nesting past 16 levels (the document counts as level 1)', () => {
    expect(encode(nested(15))).toEqual(nested(15));
    expect(ruleOf(() => encode(nested(16)))).toBe('nesting-depth');
    expect(ruleOf(() => encode(nested(17)))).toBe('nesting-depth');
  });

  it('refuses arrays of 8,193 elements and lone surrogates in values and keys', () => {
    expect(ruleOf(() => encode({ list: Array.from({ length: 8193 }, () => 0) }))).toBe(
      'array-length',
    );
    expect(ruleOf(() => encode(['\uDC00']))).toBe('string-utf8');
    expect(ruleOf(() => encode({ ['\uD800']: 1 }))).toBe('string-utf8');
  });

  it('round-trips any JSON value within the limits, and leaves only valid field names', () => {
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('$x', '_y', '', '~tandem_keys'),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ unit: 'binary' }),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        const encoded = encode(value);
        expect(allKeysValid(encoded)).toBe(true);
        expect(decodeJsonValue(encoded)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('jsonb mapping limits and the encoded shape, exactly', () => {
  /** `value` inside `depth` arrays. */
  const inside = (depth: number, value: unknown) => {
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };

  it('names what is not a JSON value', () => {
    expect(refusalOf(() => encode(new Date(0)))).toBe('type: not a JSON value: Date');
    expect(refusalOf(() => encode(5n))).toBe('type: not a JSON value: bigint');
    expect(refusalOf(() => encode([undefined]))).toBe('type: not a JSON value: undefined');
    expect(refusalOf(() => encode(new Map()))).toBe('type: not a JSON value: Map');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(Object.create(null))).toBe('object');
  });

  it('counts an object as a level, and an encoded object as two', () => {
    let object: unknown = 1;
    for (let i = 0; i < 15; i++) object = { a: object };
    expect(encode(object)).toEqual(object);
    expect(refusalOf(() => encode({ a: object }))).toBe(
      "nesting-depth: nesting level 17 exceeds Convex's 16",
    );
    // Level 15 holds the encoded object, level 16 its two arrays.
    const encodedAt15 = inside(13, { $x: 1 });
    expect(decodeJsonValue(encode(encodedAt15))).toEqual(encodedAt15);
    expect(refusalOf(() => encode(inside(14, { $x: 1 })))).toBe(
      "nesting-depth: nesting level 17 exceeds Convex's 16",
    );
    expect(refusalOf(() => encode(inside(13, { $x: [1] })))).toBe(
      "nesting-depth: nesting level 17 exceeds Convex's 16",
    );
  });

  it('keeps an object of exactly 1,024 valid keys as it is, and refuses one of 8,193 keys', () => {
    const full = Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`k${i}`, i]));
    expect(encode(full)).toEqual(full);
    const tooMany = Object.fromEntries(Array.from({ length: 8193 }, (_, i) => [`k${i}`, i]));
    expect(refusalOf(() => encode(tooMany))).toBe(
      "array-length: 8193 elements exceed Convex's 8192 per array",
    );
    expect(refusalOf(() => encode(Array.from({ length: 8193 }, () => 0)))).toBe(
      "array-length: 8193 elements exceed Convex's 8192 per array",
    );
    expect(refusalOf(() => encode(['\uDC00']))).toBe(
      'string-utf8: string has a lone UTF-16 surrogate',
    );
  });

  it('maps an object without a prototype like a plain one', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, ключ: 2 });
    expect(encode(bare)).toEqual({ '~tandem_keys': ['a', 'ключ'], '~tandem_values': [1, 2] });
    const plain = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(encode(plain)).toEqual({ a: 1 });
  });

  it('encodes an object with either marker key alone, and keeps an array of exactly 8,192', () => {
    expect(encode({ '~tandem_keys': 1 })).toEqual({
      '~tandem_keys': ['~tandem_keys'],
      '~tandem_values': [1],
    });
    expect(encode({ '~tandem_values': 1 })).toEqual({
      '~tandem_keys': ['~tandem_values'],
      '~tandem_values': [1],
    });
    expect(encode(Array.from({ length: 8192 }, () => 0))).toHaveLength(8192);
  });

  it('decodes only the exact encoded shape, and leaves anything else as it is', () => {
    for (const value of [
      { '~tandem_keys': ['a', 1], '~tandem_values': [1, 2] },
      { '~tandem_keys': ['a'], '~tandem_values': [1], x: 2 },
      { '~tandem_keys': ['a'] },
      { '~tandem_keys': ['a'], other: [1] },
      { other: ['a'], '~tandem_values': [1] },
      { '~tandem_keys': 'a', '~tandem_values': [1] },
      { '~tandem_keys': ['a'], '~tandem_values': 1 },
      { '~tandem_keys': ['a', 'b'], '~tandem_values': [1] },
      { '~tandem_keys': [1], '~tandem_values': [1] },
    ])
      expect(decodeJsonValue(value)).toEqual(value);
    expect(
      decodeJsonValue({ '~tandem_keys': ['b', 'a'], '~tandem_values': [[1], { c: 2 }] }),
    ).toEqual({
      b: [1],
      a: { c: 2 },
    });
    expect(decodeJsonValue(new Date(0))).toEqual(new Date(0));
  });

  it('decodes to ordinary properties: enumerable, writable, configurable', () => {
    for (const decoded of [
      decodeJsonValue({ a: 1 }),
      decodeJsonValue({ '~tandem_keys': ['a'], '~tandem_values': [1] }),
    ] as Array<Record<string, unknown>>) {
      expect(Object.getOwnPropertyDescriptor(decoded, 'a')).toEqual({
        value: 1,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  });
});
