/**
 * The Convex-side canonical form, SHA-256 and digest (convex-kit/tandem/, copied into each app's Convex folder) equal the
 * apply path's (src/mapping/canonical.ts, node:crypto) and the Node-side
 * digest: a clean mirror must hash the same on both sides.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as convexSide from '../../convex-kit/tandem/canonical.js';
import { sha256Hex } from '../../convex-kit/tandem/sha256.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  canonicalHash,
  canonicalRow,
  canonicalValue,
  requireTable,
} from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteTables.js';
import { compareKeyText, digestHex, digestOf } from '../../src/parity/digest.js';

const convexValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.constantFrom(0, -0, 1e21, 5e-7, Number.MAX_SAFE_INTEGER),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    // bytea → Convex bytes (an ArrayBuffer).
    fc.uint8Array({ maxLength: 40 }).map((a) => a.slice().buffer),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('Convex-side canonical hashing', () => {
  it('sha256Hex equals node:crypto for any text', () => {
    for (const text of [
      '',
      'abc',
      'x'.repeat(55),
      'x'.repeat(56),
      'x'.repeat(64),
      'é'.repeat(1000),
    ])
      expect(sha256Hex(text)).toBe(crypto.createHash('sha256').update(text).digest('hex'));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(crypto.createHash('sha256').update(text).digest('hex'));
      }),
    );
  });

  it('spells bytes as lower-case hex on both sides', () => {
    const bytes = Uint8Array.from([0, 15, 16, 255]).buffer;
    expect(canonicalValue(bytes)).toBe('bytes(000f10ff)');
    expect(convexSide.canonicalValue(bytes)).toBe('bytes(000f10ff)');
    expect(canonicalValue([bytes, 'bytes(000f10ff)'])).toBe('[bytes(000f10ff),"bytes(000f10ff)"]');
  });

  it('canonicalValue equals the apply path’s for any Convex value', () => {
    fc.assert(
      fc.property(convexValue, (value) => {
        expect(convexSide.canonicalValue(value)).toBe(canonicalValue(value));
      }),
    );
  });

  it('a row hashes the same on both sides, absent columns included', () => {
    const story = requireTable(STORY_SITE_TABLES, 'story');
    const names = convexSide.sortedColumns(story.columns.map((c) => c.name));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), convexValue), (columns) => {
        expect(convexSide.canonicalRowHash('story', names, columns)).toBe(
          canonicalHash(story, columns, STORY_SITE_TABLES),
        );
      }),
    );
  });

  it('range digests add up the same way on both sides', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 40 }), (texts) => {
        const hashes = texts.map((t) => sha256Hex(t));
        const convexSum = hashes.reduce((sum, h) => sum + convexSide.hashPrefix(h), 0n);
        expect(convexSide.digestHex(convexSum)).toBe(digestHex(digestOf(hashes).sum));
      }),
    );
  });

  it('key texts order by UTF-8 bytes, as Postgres COLLATE "C" and Convex do', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(compareKeyText(a, b))).toBe(bytes);
      }),
    );
    expect(compareKeyText('10', '9')).toBeLessThan(0);
    expect(compareKeyText('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
  });
});

describe('canonical form edges, on both sides', () => {
  it('writes an undefined value as absent, like a column left out', () => {
    const table = {
      schema: 'public',
      name: 't',
      columns: [{ name: 'a', type: 'text' as const, nullable: true }],
      primaryKey: ['a'],
      foreignKeys: [],
    };
    for (const side of [canonicalValue, convexSide.canonicalValue]) {
      expect(side(undefined)).toBe('absent');
      expect(side([undefined, null])).toBe('[absent,null]');
      expect(side({ b: undefined })).toBe('{"b":absent}');
    }
    expect(canonicalRow(table, { a: undefined })).toBe('{"a":absent}');
    expect(canonicalRow(table, {})).toBe('{"a":absent}');
    expect(convexSide.canonicalRow(['a'], { a: undefined })).toBe('{"a":absent}');
  });

  it('writes an object without a prototype like a plain one', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: [true] });
    expect(canonicalValue(bare)).toBe('{"a":[true],"b":1}');
    expect(convexSide.canonicalValue(bare)).toBe('{"a":[true],"b":1}');
  });

  it('refuses a value Convex cannot hold, naming what it is', () => {
    expect(() => canonicalValue(new Date(0))).toThrow(new TypeError('no canonical form for Date'));
    expect(() => canonicalValue(new Map())).toThrow(new TypeError('no canonical form for Map'));
    expect(() => convexSide.canonicalValue(new Map())).toThrow(
      new TypeError('no canonical form for a object'),
    );
    expect(() => convexSide.canonicalValue(Symbol('s'))).toThrow(
      new TypeError('no canonical form for a symbol'),
    );
    // A function is no object to either side, even one without a prototype.
    const bareFunction = Object.setPrototypeOf(() => 1, null) as unknown;
    expect(() => canonicalValue(bareFunction)).toThrow(
      new TypeError('no canonical form for function'),
    );
    expect(() => convexSide.canonicalValue(bareFunction)).toThrow(
      new TypeError('no canonical form for a function'),
    );
  });

  it('refuses to hash a row of a table that is not mirrored, naming it', () => {
    const hash = () => canonicalHash('nope', {}, STORY_SITE_TABLES);
    expect(hash).toThrow(new ConfigError('tables', 'table nope is not mirrored'));
    expect(hash).toThrow(
      expect.objectContaining({ setting: 'tables', message: 'tables: table nope is not mirrored' }),
    );
    expect(() => canonicalHash('story', {})).toThrow(
      new ConfigError('tables', 'table story is not mirrored'),
    );
  });
});
