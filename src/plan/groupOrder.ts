/**
 * Write groups in dependency order, for moving their writes (and later
 * retiring their tables) one group at a time: a group comes after every group
 * holding a table its tables reference, so the rows a group's writes point at
 * are already written where the group writes. Among groups ready together,
 * the one whose first table comes first in the plan goes first. References
 * the plan leaves for a second pass (self-references, broken cycles) do not
 * order groups, as they do not order tables; a cycle between groups is broken
 * as one between tables is (src/plan/order.ts).
 */
import type { MigrationPlan } from './buildPlan.js';
import { orderTables, type OrderEdge } from './order.js';

export function orderWriteGroups<G extends { name: string; tables: readonly string[] }>(
  groups: readonly G[],
  plan: Pick<MigrationPlan, 'tables'>,
): G[] {
  const groupOf = new Map(groups.flatMap((g) => g.tables.map((t) => [t, g.name] as const)));
  const position = new Map(plan.tables.map((t) => [t.name, t.position]));
  const firstPosition = (g: G) => Math.min(...g.tables.map((t) => position.get(t) ?? Infinity));
  const first = new Map(groups.map((g) => [g.name, firstPosition(g)]));
  const edges: OrderEdge[] = plan.tables.flatMap((t) =>
    t.dependsOn.flatMap((parent) => {
      const [from, to] = [groupOf.get(t.name), groupOf.get(parent)];
      return from === undefined || to === undefined || from === to
        ? []
        : [{ from, to, id: `${t.name}\0${parent}`, nullable: t.dependencies.every((d) => d.table !== parent || d.nullable) }];
    }),
  );
  const { order } = orderTables(
    groups.map((g) => g.name),
    edges,
    (a, b) => first.get(a)! - first.get(b)! || (a < b ? -1 : a > b ? 1 : 0),
  );
  const byName = new Map(groups.map((g) => [g.name, g]));
  return order.map((name) => byName.get(name)!);
}
