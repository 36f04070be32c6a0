/**
 * Write groups: the tables that must change writer together. Two tables are in
 * one group when one write path (a write site of the inventory, or a route the
 * application names) or one Postgres transaction (seen in the outbox) writes
 * both; the groups are the connected components of that relation, so a write
 * never spans two sources of truth. Pure: the inputs are read elsewhere.
 */
import { InvalidInputError } from '../core/errors.js';

/** Something that writes tables together: a write site, a named write path, or a transaction seen at runtime. */
export interface WritePath {
  name: string;
  tables: readonly string[];
  source: 'inventory' | 'transaction' | 'application';
}

export interface WriteGroup {
  /** Stable: derived from the sorted table list unless the caller names the group. */
  name: string;
  /** Sorted. */
  tables: string[];
  /** Names of the write paths that joined these tables (sorted), empty for a table written alone. */
  writePaths: string[];
}

export interface DeriveOptions {
  /** Every table that gets a group (the mirrored tables): written alone, a table is a group of its own. */
  tables: readonly string[];
  writePaths: readonly WritePath[];
  /** Names for groups, by any one of their tables: `{ story: 'stories' }` names the group holding `story`. */
  names?: Readonly<Record<string, string>>;
}

/** The default name of a group: its tables, sorted, joined by `+`. */
export function defaultGroupName(tables: readonly string[]): string {
  return [...tables].sort().join('+');
}

/**
 * Disjoint sets over table names. Written here because it is a dozen lines
 * and the only graph operation the write cutover needs; a graph library
 * would be a dependency for one loop.
 */
class DisjointSets {
  private readonly parent = new Map<string, string>();

  add(x: string): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }

  find(x: string): string {
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression: later finds are one step.
    for (let at = x; at !== root;) {
      const next = this.parent.get(at)!;
      this.parent.set(at, root);
      at = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    // The smaller name wins, so the result does not depend on the input order.
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/** The connected components of the tables written together, sorted by name. */
export function deriveWriteGroups(options: DeriveOptions): WriteGroup[] {
  const known = new Set(options.tables);
  const sets = new DisjointSets();
  for (const table of known) sets.add(table);
  for (const path of options.writePaths) {
    const tables = path.tables.filter((t) => known.has(t));
    for (const t of tables.slice(1)) sets.union(tables[0]!, t);
  }
  const members = new Map<string, string[]>();
  for (const table of known) {
    const root = sets.find(table);
    members.set(root, [...(members.get(root) ?? []), table]);
  }
  const groups = [...members.values()].map((tables) => {
    const sorted = [...tables].sort();
    const inGroup = new Set(sorted);
    const writePaths = options.writePaths
      .filter(
        (p) =>
          p.tables.some((t) => inGroup.has(t)) &&
          new Set(p.tables.filter((t) => known.has(t))).size > 1,
      )
      .map((p) => p.name);
    return {
      name: defaultGroupName(sorted),
      tables: sorted,
      writePaths: [...new Set(writePaths)].sort(),
    };
  });
  applyNames(groups, options.names ?? {}, known);
  return groups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function applyNames(
  groups: WriteGroup[],
  names: Readonly<Record<string, string>>,
  known: Set<string>,
): void {
  const given = new Map<WriteGroup, string>();
  for (const [table, name] of Object.entries(names)) {
    if (!known.has(table))
      throw new InvalidInputError(
        'names',
        `${JSON.stringify(table)} is not a mirrored table (it names a write group)`,
      );
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(name))
      throw new InvalidInputError(
        'names',
        `group name ${JSON.stringify(name)}: letters, digits and _ . + - only`,
      );
    const group = groups.find((g) => g.tables.includes(table))!;
    const earlier = given.get(group);
    if (earlier !== undefined && earlier !== name)
      throw new InvalidInputError(
        'names',
        `group ${group.name} is named both ${JSON.stringify(earlier)} and ${JSON.stringify(name)}`,
      );
    given.set(group, name);
  }
  for (const [group, name] of given) group.name = name;
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name))
      throw new InvalidInputError('names', `two write groups are named ${JSON.stringify(g.name)}`);
    seen.add(g.name);
  }
}

/** A write path that writes tables of more than one group. */
export interface GroupCrossing {
  path: string;
  source: WritePath['source'];
  tables: string[];
  /** The groups it writes, sorted. */
  groups: string[];
}

/** Which group each table is in. */
export function groupOfTable(
  groups: readonly Pick<WriteGroup, 'name' | 'tables'>[],
): Map<string, string> {
  return new Map(groups.flatMap((g) => g.tables.map((t) => [t, g.name] as const)));
}

/** The write paths that cross groups (tables outside every group are not looked at). */
export function findCrossings(
  groups: readonly Pick<WriteGroup, 'name' | 'tables'>[],
  writePaths: readonly WritePath[],
): GroupCrossing[] {
  const groupOf = groupOfTable(groups);
  const crossings: GroupCrossing[] = [];
  for (const path of writePaths) {
    const tables = [...new Set(path.tables.filter((t) => groupOf.has(t)))].sort();
    const touched = [...new Set(tables.map((t) => groupOf.get(t)!))].sort();
    if (touched.length > 1)
      crossings.push({ path: path.name, source: path.source, tables, groups: touched });
  }
  return crossings;
}
