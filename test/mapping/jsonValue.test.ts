import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonValue,
  encodeJsonValue,
  isConvexFieldName,
  MappingError,
} from '../../src/mapping/index.js';

const site = { table: 'story', key: '9', column: 'json' };
const encode = (value: unknown) => encodeJsonValue(value, site, 1);

function ruleOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return error.rule;
    throw error;
  }
  return 'no error';
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
