/**
 * Write groups as connected components, on the story site's declared write
 * paths and on a second schema (the shop), crossings, names, and the write
 * paths taken from an inventory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STORY_SITE_MIRRORED_TABLES,
  storySiteGroups,
  storySiteWriteGroups,
  storySiteWritePaths,
} from '../../examples/story-site/src/app/writeGroups.js';
import {
  deriveWriteGroups,
  findCrossings,
  slowestPhase,
  writePathsFromInventory,
  writePathsFromTransactions,
  type WritePath,
} from '../../src/index.js';

const path = (name: string, ...tables: string[]): WritePath => ({
  name,
  tables,
  source: 'application',
});

describe('write groups', () => {
  it('the story site: an approval writes story_approval, story and course, so they are one group (with language, joined by a rename)', () => {
    expect(storySiteGroups.map((g) => g.tables)).toEqual([
      ['avatar'],
      ['avatar_mapping'],
      ['course', 'language', 'story', 'story_approval'],
      ['image'],
      ['localization'],
      ['speaker'],
      ['story_done'],
    ]);
    const big = storySiteGroups.find((g) => g.tables.includes('story'))!;
    expect(big.name).toBe('course+language+story+story_approval');
    expect(big.writePaths).toEqual([
      'deleteStory',
      'importStory',
      'removeApproval',
      'saveLanguage',
      'saveStory',
      'toggleApproval',
      'togglePublished',
    ]);
    expect(storySiteWriteGroups.toggleApproval).toBe('course+language+story+story_approval');
    expect(storySiteWriteGroups.recordStoryDone).toBe('story_done');
    expect(storySiteWriteGroups.saveCourse).toBe('course+language+story+story_approval');
    expect(findCrossings(storySiteGroups, storySiteWritePaths)).toEqual([]);
  });

  it('the shop: an order writes orders and line, a sign-up customer alone; a transaction seen at runtime joins reading', () => {
    const tables = ['customer', 'orders', 'line', 'reading'];
    const paths = [path('placeOrder', 'orders', 'line'), path('signUp', 'customer')];
    expect(deriveWriteGroups({ tables, writePaths: paths })).toEqual([
      { name: 'customer', tables: ['customer'], writePaths: [] },
      { name: 'line+orders', tables: ['line', 'orders'], writePaths: ['placeOrder'] },
      { name: 'reading', tables: ['reading'], writePaths: [] },
    ]);
    const runtime = writePathsFromTransactions([
      { txid: '77', tables: ['line', 'reading'], lastSeq: 9, operationKey: null },
      { txid: '78', tables: ['line', 'reading'], lastSeq: 12, operationKey: null },
    ]);
    expect(runtime).toEqual([
      { name: 'txid 77', tables: ['line', 'reading'], source: 'transaction' },
    ]);
    expect(
      deriveWriteGroups({ tables, writePaths: [...paths, ...runtime] }).map((g) => [
        g.name,
        g.writePaths,
      ]),
    ).toEqual([
      ['customer', []],
      ['line+orders+reading', ['placeOrder', 'txid 77']],
    ]);
  });

  it('a write path joining groups transitively merges them; tables outside the mirror are left out', () => {
    const groups = deriveWriteGroups({
      tables: ['a', 'b', 'c', 'd', 'e'],
      writePaths: [path('p1', 'a', 'b'), path('p2', 'c', 'd'), path('p3', 'b', 'users', 'c')],
    });
    expect(groups.map((g) => g.tables)).toEqual([['a', 'b', 'c', 'd'], ['e']]);
  });

  it('names groups by any of their tables, and refuses a clash or an unknown table', () => {
    const tables = ['customer', 'orders', 'line'];
    const writePaths = [path('placeOrder', 'orders', 'line')];
    expect(
      deriveWriteGroups({ tables, writePaths, names: { line: 'ordering' } }).map((g) => g.name),
    ).toEqual(['customer', 'ordering']);
    expect(() =>
      deriveWriteGroups({ tables, writePaths, names: { line: 'x', orders: 'y' } }),
    ).toThrow('names: group line+orders is named both "x" and "y"');
    expect(() => deriveWriteGroups({ tables, writePaths, names: { nope: 'x' } })).toThrow(
      'names: "nope" is not a mirrored table (it names a write group)',
    );
    expect(() =>
      deriveWriteGroups({ tables, writePaths, names: { customer: 'line+orders' } }),
    ).toThrow('names: two write groups are named "line+orders"');
  });

  it('reports a write path that crosses groups, with the groups it writes', () => {
    const groups = [
      { name: 'line+orders', tables: ['line', 'orders'] },
      { name: 'customer', tables: ['customer'] },
    ];
    expect(
      findCrossings(groups, [
        path('checkout', 'orders', 'customer', 'users'),
        path('placeOrder', 'orders', 'line'),
      ]),
    ).toEqual([
      {
        path: 'checkout',
        source: 'application',
        tables: ['customer', 'orders'],
        groups: ['customer', 'line+orders'],
      },
    ]);
  });

  it('groups are the same whatever the order of tables and write paths', () => {
    const table = fc.constantFrom('t1', 't2', 't3', 't4', 't5', 't6');
    const paths = fc.array(fc.array(table, { minLength: 1, maxLength: 3 }), { maxLength: 6 });
    fc.assert(
      fc.property(paths, fc.integer(), (list, seed) => {
        const tables = ['t1', 't2', 't3', 't4', 't5', 't6'];
        const writePaths = list.map((tables, i) => path(`p${i}`, ...tables));
        const rotate = <T>(xs: T[]) =>
          xs.length ? [...xs.slice(seed % xs.length), ...xs.slice(0, seed % xs.length)] : xs;
        const a = deriveWriteGroups({ tables, writePaths });
        const b = deriveWriteGroups({
          tables: rotate([...tables]).reverse(),
          writePaths: rotate(writePaths).reverse(),
        });
        expect(b).toEqual(a);
        // Every table in exactly one group, and no path crosses.
        expect(a.flatMap((g) => g.tables).sort()).toEqual(tables);
        expect(findCrossings(a, writePaths)).toEqual([]);
      }),
    );
  });

  it('write paths from an inventory: one per site, dynamic tables left out', () => {
    expect(
      writePathsFromInventory({
        sites: [
          {
            file: 'app/api/order/route.ts',
            kind: 'route-handler',
            name: 'POST',
            method: 'POST',
            writes: [
              { table: 'orders', op: 'insert', line: 3 },
              { table: 'line', op: 'insert', line: 4 },
              { table: '(dynamic)', op: 'update', line: 9 },
            ],
          },
        ],
      }),
    ).toEqual([
      {
        name: 'app/api/order/route.ts:POST (POST)',
        tables: ['line', 'orders'],
        source: 'inventory',
      },
    ]);
  });

  it("a group's phase is the slowest of its tables'", () => {
    const phases = new Map([
      ['story', { phase: 'reads-on-convex' as const }],
      ['course', { phase: 'verified' as const }],
      ['story_approval', { phase: 'writes-on-convex' as const }],
    ]);
    expect(slowestPhase(['story', 'course', 'story_approval'], phases)).toBe('verified');
    expect(slowestPhase(['story', 'language'], phases)).toBe('not-mirrored');
    expect(slowestPhase(['story', 'story_approval'], phases)).toBe('reads-on-convex');
  });

  it('the declared story-site tables are the mirrored ones', () => {
    expect([...STORY_SITE_MIRRORED_TABLES].sort()).toEqual(
      storySiteGroups.flatMap((g) => g.tables).sort(),
    );
  });
});
