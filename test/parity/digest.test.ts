/**
 * Range digests and key order on the Node side, at their edges: a digest
 * given as hex text (as Convex returns it), and key texts compared by code
 * point where JavaScript's UTF-16 order differs (a surrogate pair against
 * U+E000–U+FFFF), at both ends of the surrogate range.
 */
import { describe, expect, it } from 'vitest';
import { compareKeyText, digestOf, sameDigest } from '../../src/parity/digest.js';

describe('parity digests and key order', () => {
  it('compares a digest with one given as 16 hex digits', () => {
    const digest = digestOf([
      '00000000000000ff' + '0'.repeat(48),
      '0000000000000001' + 'f'.repeat(48),
    ]);
    expect(digest).toEqual({ count: 2, sum: 256n });
    expect(sameDigest(digest, { count: 2, sum: '0000000000000100' })).toBe(true);
    expect(sameDigest(digest, { count: 2, sum: '0000000000000101' })).toBe(false);
    expect(sameDigest(digest, { count: 1, sum: '0000000000000100' })).toBe(false);
  });

  it('orders key texts by code point, a common prefix and length first', () => {
    expect(compareKeyText('ab', 'ac')).toBe(-1);
    expect(compareKeyText('ac', 'ab')).toBe(1);
    expect(compareKeyText('ab', 'ab')).toBe(0);
    expect(compareKeyText('a', 'ab')).toBeLessThan(0);
    // U+10000 (a pair starting at 0xD800) sorts after U+E000, unlike UTF-16 units.
    expect(compareKeyText('\uD800\uDC00', '\uE000')).toBe(1);
    expect(compareKeyText('\uE000', '\uD800\uDC00')).toBe(-1);
    // 0xDFFF is a surrogate too: against 0xE000 it sorts after.
    expect(compareKeyText('a\uDFFF', 'a\uE000')).toBe(1);
    expect(compareKeyText('a\uE000', 'a\uDFFF')).toBe(-1);
    // Below the surrogates, plain order.
    expect(compareKeyText('\uD7FF', '\uD800\uDC00')).toBe(-1);
  });
});
