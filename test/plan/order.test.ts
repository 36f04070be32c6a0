/** Ordering, cycle breaking and phases on hand-made graphs (no database). */
import { describe, expect, it } from 'vitest';
import {
  assignPhases,
  orderTables,
  orderWriteGroups,
  stronglyConnected,
  type MigrationPlan,
  type OrderEdge,
} from '../../src/plan/index.js';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const edge = (from: string, to: string, nullable = true): OrderEdge => ({
  from,
  to,
  id: `${from}->${to}`,
  nullable,
});

describe('orderTables', () => {
  it('puts parents first and breaks ties with the given comparison', () => {
    const edges = [edge('b', 'a'), edge('c', 'a'), edge('d', 'b'), edge('d', 'c')];
    expect(orderTables(['d', 'c', 'b', 'a'], edges, byName)).toEqual({
      order: ['a', 'b', 'c', 'd'],
      deferred: [],
      cycles: [],
    });
    const reverse = (a: string, b: string) => byName(b, a);
    expect(orderTables(['a', 'b', 'c', 'd'], edges, reverse).order).toEqual(['a', 'c', 'b', 'd']);
  });

  it('ignores edges to tables outside the nodes and self-edges', () => {
    const result = orderTables(
      ['x', 'y'],
      [edge('y', 'x'), edge('x', 'x'), edge('y', 'outside')],
      byName,
    );
    expect(result).toEqual({ order: ['x', 'y'], deferred: [], cycles: [] });
  });

  it('breaks a two-table cycle at the nullable key and reports the cycle', () => {
    // a.b_id NOT NULL → b, b.a_id nullable → a: b is written first with a_id empty.
    const edges = [edge('a', 'b', false), edge('b', 'a', true), edge('c', 'a')];
    const result = orderTables(['a', 'b', 'c'], edges, byName);
    expect(result.order).toEqual(['b', 'a', 'c']);
    expect(result.deferred).toEqual([edge('b', 'a', true)]);
    expect(result.cycles).toEqual([['b', 'a']]);
  });

  it('breaks a three-table cycle only once and only inside the cycle', () => {
    // root ← p → q → r → p; s depends on r. Nothing outside the cycle is deferred.
    const edges = [
      edge('p', 'root'),
      edge('p', 'q', false),
      edge('q', 'r', false),
      edge('r', 'p', false),
      edge('s', 'r'),
    ];
    const result = orderTables(['s', 'r', 'q', 'p', 'root'], edges, byName);
    expect(result.order).toEqual(['root', 'p', 'r', 'q', 's']);
    expect(result.deferred).toEqual([edge('p', 'q', false)]);
    expect(result.cycles).toEqual([['p', 'r', 'q']]);
  });

  it('finds strongly connected components', () => {
    const comps = stronglyConnected(
      ['a', 'b', 'c', 'd'],
      [edge('a', 'b'), edge('b', 'a'), edge('c', 'a')],
    );
    expect(comps.map((c) => [...c].sort())).toEqual(
      expect.arrayContaining([['a', 'b'], ['c'], ['d']]),
    );
    expect(comps).toHaveLength(3);
  });
});

describe('assignPhases', () => {
  it('gives the story site graph lookup, course, story and events phases', () => {
    const edges = [
      edge('localization', 'language'),
      edge('speaker', 'language'),
      edge('avatar_mapping', 'avatar'),
      edge('avatar_mapping', 'language'),
      edge('course', 'language'),
      edge('story', 'course'),
      edge('story', 'image'),
      edge('story_approval', 'story'),
      edge('story_done', 'story'),
    ];
    const tables = [
      'language',
      'localization',
      'image',
      'avatar',
      'speaker',
      'avatar_mapping',
      'course',
      'story',
      'story_approval',
      'story_done',
    ];
    const phases = assignPhases(tables, edges);
    expect(Object.fromEntries([...phases].map(([t, p]) => [t, p.phase]))).toEqual({
      language: 'lookup',
      localization: 'lookup',
      image: 'lookup',
      avatar: 'lookup',
      speaker: 'lookup',
      avatar_mapping: 'lookup',
      course: 'course',
      story: 'story',
      story_approval: 'events',
      story_done: 'events',
    });
    expect(phases.get('story_done')!.because).toBe('nothing references it and it hangs off story');
  });

  it('treats a table whose only key is a self-reference as a root', () => {
    const phases = assignPhases(
      ['category', 'item'],
      [edge('category', 'category'), edge('item', 'category')],
    );
    expect(phases.get('category')!.phase).toBe('lookup');
    expect(phases.get('item')!.phase).toBe('lookup');
  });
});

describe('orderWriteGroups', () => {
  /** A plan's tables in the given order, each depending on the tables named. */
  const plan = (tables: Array<[string, string[]]>) => ({
    tables: tables.map(([name, dependsOn], i) => ({
      name,
      position: i + 1,
      dependsOn,
      dependencies: dependsOn.map((table) => ({ table, nullable: false })),
    })) as unknown as MigrationPlan['tables'],
  });
  const group = (...tables: string[]) => ({ name: tables.join('+'), tables });

  it('puts a group after the groups its tables reference, the plan\'s earlier table first among ready ones', () => {
    // lang is first in the plan but its group waits on img (post → img); ties go by the group's first table.
    const p = plan([
      ['lang', []],
      ['loc', ['lang']],
      ['img', []],
      ['av', []],
      ['course', ['lang']],
      ['post', ['course', 'img']],
      ['done', ['post']],
    ]);
    const groups = [group('av'), group('course', 'lang', 'post'), group('done'), group('img'), group('loc')];
    expect(orderWriteGroups(groups, p).map((g) => g.name)).toEqual(['img', 'course+lang+post', 'loc', 'av', 'done']);
  });

  it('keeps the given group objects, and orders groups whose tables reference each other (a cycle) all the same', () => {
    const p = plan([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['a']],
    ]);
    const groups = [group('c'), group('b'), group('a')];
    const ordered = orderWriteGroups(groups, p);
    expect(ordered.map((g) => g.name)).toEqual(['a', 'b', 'c']);
    expect(ordered[2]).toBe(groups[0]);
  });
});
