/** convexSize must count exactly as convex/values' getConvexSize, which convex-test enforces limits with. */
import fc from 'fast-check';
import { getConvexSize, getDocumentSize, type Value } from 'convex/values';
import { describe, expect, it } from 'vitest';
import { contentDocumentBytes, convexSize } from '../../src/mapping/size.js';

const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.bigInt(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'binary', minLength: 500, maxLength: 2000 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('convexSize', () => {
  it('equals getConvexSize for any value with well-formed strings, long ones included', () => {
    fc.assert(
      fc.property(values, (value) => {
        expect(convexSize(value)).toBe(getConvexSize(value as Value));
      }),
      { numRuns: 500 },
    );
  });

  it('counts undefined fields as absent, as Convex does, and adds the system fields for a new document', () => {
    expect(convexSize({ a: 1, b: undefined })).toBe(getConvexSize({ a: 1 }));
    const content = { text: 'é'.repeat(600), json: { ключ: [1, 'x'] } };
    expect(contentDocumentBytes('7', content)).toBe(getDocumentSize({ ...content, pgKey: '7', pgVersion: 0 }));
  });
});
