/**
 * Topological order of tables by their foreign keys, parents first. Ties are
 * broken by a caller-given comparison, so the same catalog always gives the
 * same order. When every remaining table waits on another (a cycle), one
 * foreign key of the cycle is deferred to a second pass: preferably one whose
 * columns are all nullable, since such a row can be written with the key left
 * empty and the key filled in once its parent exists.
 */

/** `from` references `to`: `to` must come first. */
export interface OrderEdge {
  from: string;
  to: string;
  /** Identifies the foreign key (constraint name) in the result. */
  id: string;
  /** Every column of the key is nullable. */
  nullable: boolean;
}

export interface TableOrder {
  order: string[];
  /** Edges left for a second pass to break cycles. */
  deferred: OrderEdge[];
  /** The strongly connected groups (two or more tables) that had to be broken, each in order. */
  cycles: string[][];
}

/** Strongly connected components (Tarjan), for the cycle report and the choice of an edge to defer. */
export function stronglyConnected(
  nodes: readonly string[],
  edges: readonly OrderEdge[],
): string[][] {
  const out = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) if (out.has(e.from) && out.has(e.to)) out.get(e.from)!.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of out.get(node)!) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components;
}

function minBy<T>(items: readonly T[], compare: (a: T, b: T) => number): T {
  return items.reduce((best, item) => (compare(item, best) < 0 ? item : best));
}

/**
 * Picks the table whose unmet keys are deferred: it must sit in a cycle whose
 * members wait on nothing outside it (so deferring is unavoidable there), and
 * prefers tables whose unmet keys are all nullable, then the caller's order.
 */
function chooseCycleBreak(
  remaining: readonly string[],
  unmet: (table: string) => OrderEdge[],
  compare: (a: string, b: string) => number,
): { table: string; component: string[] } {
  const components = stronglyConnected(
    remaining,
    remaining.flatMap((t) => unmet(t)),
  );
  const member = new Map<string, number>();
  components.forEach((c, i) => c.forEach((t) => member.set(t, i)));
  const closed = components.filter(
    (c, i) => c.length > 1 && c.every((t) => unmet(t).every((e) => member.get(e.to) === i)),
  );
  const candidates = closed.flat();
  const nullableFirst = (t: string) => (unmet(t).every((e) => e.nullable) ? 0 : 1);
  const table = minBy(candidates, (a, b) => nullableFirst(a) - nullableFirst(b) || compare(a, b));
  return { table, component: closed.find((c) => c.includes(table))! };
}

/**
 * Orders `nodes` so each comes after the tables it references (self-references
 * must not be passed in: they never constrain the order). `compare` decides
 * among tables that are ready at the same time.
 */
export function orderTables(
  nodes: readonly string[],
  edges: readonly OrderEdge[],
  compare: (a: string, b: string) => number,
): TableOrder {
  const inScope = new Set(nodes);
  const deps = new Map<string, OrderEdge[]>(nodes.map((n) => [n, []]));
  for (const e of edges)
    if (inScope.has(e.from) && inScope.has(e.to) && e.from !== e.to) deps.get(e.from)!.push(e);
  const placed = new Set<string>();
  const deferred: OrderEdge[] = [];
  const cycles: string[][] = [];
  const unmet = (t: string) => deps.get(t)!.filter((e) => !placed.has(e.to));
  const order: string[] = [];
  while (order.length < nodes.length) {
    const remaining = nodes.filter((n) => !placed.has(n));
    const ready = remaining.filter((n) => unmet(n).length === 0);
    let next: string;
    if (ready.length > 0) {
      next = minBy(ready, compare);
    } else {
      const { table, component } = chooseCycleBreak(remaining, unmet, compare);
      deferred.push(...unmet(table));
      if (!cycles.some((c) => c.includes(table))) cycles.push(component);
      next = table;
    }
    placed.add(next);
    order.push(next);
  }
  const position = new Map(order.map((t, i) => [t, i]));
  return {
    order,
    deferred,
    cycles: cycles.map((c) => [...c].sort((a, b) => position.get(a)! - position.get(b)!)),
  };
}
