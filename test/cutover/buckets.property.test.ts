/**
 * Sticky percentages: a user's bucket never changes for a table; raising the
 * percentage only adds users and lowering it only removes them, over any
 * sequence of ramps; salts make tables independent; anonymous requests read
 * Postgres until `convex`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, inPercent, userBucket } from '../../src/cutover/buckets.js';
import { decideRead, type TableStage } from '../../src/cutover/decide.js';

const userId = fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.string({ minLength: 1, maxLength: 20 }));
const percent = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);
const salt = fc.string({ minLength: 1, maxLength: 16 });
const at = (p: number, s = 'salt-a'): TableStage => ({ stage: 'convex-percent', percent: p, salt: s });

describe('sticky buckets', () => {
  it('a bucket is stable and within 0 … 9,999', () => {
    fc.assert(
      fc.property(salt, userId, (s, id) => {
        const b = userBucket(s, id);
        expect(Number.isInteger(b) && b >= 0 && b < BUCKETS).toBe(true);
        expect(userBucket(s, id)).toBe(b);
        // The id's text is what counts: 42 and '42' are one user.
        expect(userBucket(s, String(id))).toBe(b);
      }),
    );
  });

  it('over any ramp, raising only adds users and lowering only removes them', () => {
    fc.assert(
      fc.property(salt, fc.array(userId, { minLength: 1, maxLength: 60 }), fc.array(percent, { minLength: 2, maxLength: 12 }), (s, users, ramp) => {
        let selected = new Set(users.filter((u) => decideRead([at(ramp[0]!, s)], { id: u }) === 'convex'));
        for (let i = 1; i < ramp.length; i++) {
          const next = new Set(users.filter((u) => decideRead([at(ramp[i]!, s)], { id: u }) === 'convex'));
          if (ramp[i]! >= ramp[i - 1]!) for (const u of selected) expect(next.has(u)).toBe(true);
          if (ramp[i]! <= ramp[i - 1]!) for (const u of next) expect(selected.has(u)).toBe(true);
          selected = next;
        }
      }),
    );
  });

  it('0 % selects nobody and 100 % everybody signed in', () => {
    fc.assert(
      fc.property(salt, userId, (s, id) => {
        expect(decideRead([at(0, s)], { id })).toBe('postgres');
        expect(decideRead([at(100, s)], { id })).toBe('convex');
      }),
    );
  });

  it('the share selected is close to the percentage (20,000 users)', () => {
    const users = Array.from({ length: 20_000 }, (_, i) => i + 1);
    const share = users.filter((u) => inPercent(userBucket('t1', u), 25)).length / users.length;
    expect(Math.abs(share - 0.25)).toBeLessThan(0.02);
  });

  it('each table has its own salt: the first 10 % of one table is not the first 10 % of another', () => {
    const users = Array.from({ length: 5_000 }, (_, i) => i + 1);
    const a = users.filter((u) => inPercent(userBucket('salt-a', u), 10));
    const both = a.filter((u) => inPercent(userBucket('salt-b', u), 10));
    // Independent draws overlap in about 10 % of a.
    expect(both.length / a.length).toBeLessThan(0.2);
  });

  it('anonymous requests read postgres until convex; internal users read convex from convex-internal', () => {
    for (const stage of ['postgres', 'shadow', 'convex-internal', 'convex-percent', 'convex'] as const) {
      const s = { stage, percent: stage === 'convex' ? 100 : 100, salt: 'x' };
      const anonymous = decideRead([s], {});
      const internal = decideRead([s], { id: 7, internal: true });
      const regular = decideRead([{ ...s, percent: 0 }], { id: 7 });
      expect([stage, anonymous, internal, regular]).toEqual(
        {
          postgres: ['postgres', 'postgres', 'postgres', 'postgres'],
          shadow: ['shadow', 'shadow', 'shadow', 'shadow'],
          'convex-internal': ['convex-internal', 'postgres', 'convex', 'postgres'],
          'convex-percent': ['convex-percent', 'postgres', 'convex', 'postgres'],
          convex: ['convex', 'convex', 'convex', 'convex'],
        }[stage],
      );
    }
  });

  it('a read over several tables goes to convex only when every table selects the user', () => {
    fc.assert(
      fc.property(userId, percent, percent, (id, p1, p2) => {
        const tables = [at(p1, 'one'), at(p2, 'two')];
        const expected =
          inPercent(userBucket('one', id), p1) && inPercent(userBucket('two', id), p2) ? 'convex' : 'postgres';
        expect(decideRead(tables, { id })).toBe(expected);
        expect(decideRead([...tables, { stage: 'shadow', percent: 0, salt: '' }], { id })).toBe('shadow');
        expect(decideRead([...tables, { stage: 'postgres', percent: 0, salt: '' }], { id })).toBe('postgres');
      }),
    );
  });
});
