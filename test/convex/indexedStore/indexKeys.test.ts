/**
 * Index keys order exactly as Convex's own compareValues: the string fast
 * path (UTF-16 code units) must agree with Convex's UTF-8 byte order,
 * including where they differ, a surrogate pair against a character from
 * U+E000 to U+FFFF.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareValues } from 'convex/values';
import { compareKeys } from '../../../src/convex/indexedStore/indexKeys.js';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

// Characters on both sides of the surrogate range, and astral ones (surrogate pairs).
const character = fc.constantFrom('a', 'b', 'é', '\u{d7ff}', '\u{e000}', '\u{fffd}', '\u{ffff}', '😀', '\u{10000}', '\u{10ffff}');
const text = fc.array(character, { maxLength: 6 }).map((chars) => chars.join(''));

describe('index key order', () => {
  it('orders strings as Convex does (UTF-8), not as JavaScript does (UTF-16)', () => {
    // JavaScript puts U+FFFD after the surrogate pair of U+1F600; Convex puts it before.
    expect(sign(compareKeys(['\u{fffd}'], ['😀']))).toBe(-1);
    fc.assert(
      fc.property(text, text, (x, y) => {
        expect(sign(compareKeys([x], [y]))).toBe(sign(compareValues(x, y)));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts -0 before 0, as Convex does', () => {
    expect(compareKeys([-0], [0])).toBe(-1);
    expect(compareKeys([0, 'b'], [-0, 'a'])).toBe(1);
    expect(compareKeys([0], [0])).toBe(0);
  });

  it('orders mixed values and multi-field keys as Convex does', () => {
    const value = fc.oneof(fc.double(), fc.integer(), text, fc.boolean(), fc.constant(null), fc.bigInt());
    fc.assert(
      fc.property(fc.array(value, { maxLength: 3 }), fc.array(value, { maxLength: 3 }), (a, b) => {
        expect(sign(compareKeys(a, b))).toBe(sign(compareValues(a, b)));
      }),
      { numRuns: 2000 },
    );
  });
});
