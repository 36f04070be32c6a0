/**
 * The migration plan: the mirrored tables in foreign-key order, grouped into
 * phases, each with the keys that put it there, the keys left for a second
 * pass (self-references, broken cycles), references to tables that are not
 * mirrored, and its size. Pure: the catalog and the stats are read elsewhere.
 */
import type { ProjectConfig } from '../config/projectConfig.js';
import type {
  Catalog,
  CatalogForeignKey,
  CatalogTable,
  ForeignKeyAction,
  TableStats,
} from '../postgres/catalog/index.js';
import { qualifiedName } from '../mapping/tableConfig.js';
import { orderTables, type OrderEdge } from './order.js';
import { assignPhases, PHASE_RANK, type PhaseKind, type TablePhase } from './phases.js';
import { planReason } from './reason.js';
import { planScope, type PlanScope, type SkippedTable } from './scope.js';

export interface PlanReference {
  constraint: string;
  columns: string[];
  /** The referenced table (schema-qualified when outside the plan's schema). */
  table: string;
  referencedColumns: string[];
  /** Every column of the key is nullable. */
  nullable: boolean;
  onDelete: ForeignKeyAction;
}

export interface SecondPassReference extends PlanReference {
  because: 'self-reference' | 'cycle';
}

export interface PlannedTable {
  name: string;
  /** 1-based place in the order. */
  position: number;
  phase: string;
  phaseKind: PhaseKind;
  /** Tables that come earlier because this table references them. */
  dependsOn: string[];
  dependencies: PlanReference[];
  /** Keys filled in after the referenced rows exist. */
  secondPass: SecondPassReference[];
  /** Keys to tables that are never mirrored: they stay plain values. */
  notMirrored: PlanReference[];
  /** Keys to mirrored tables outside a --tables selection. */
  leftOut: PlanReference[];
  /** Planned tables that reference this one. */
  referencedBy: string[];
  rows: number | null;
  rowsEstimated: boolean;
  bytes: number | null;
  reason: string;
}

export interface PlanCycle {
  tables: string[];
  /** The keys filled in a second pass, as `table.column → parent`. */
  deferred: string[];
}

export interface MigrationPlan {
  schema: string;
  order: string[];
  tables: PlannedTable[];
  phases: Array<{ name: string; kind: PhaseKind; tables: string[] }>;
  cycles: PlanCycle[];
  /** Mirrored tables that planned tables reference but --tables left out. */
  leftOut: string[];
  /** Tables of the schema that cannot be keyed, with the reason: not mirrored. */
  skipped: SkippedTable[];
}

export interface PlanOptions {
  config: ProjectConfig;
  /** Restrict the plan to these tables (`--tables`). */
  only?: readonly string[];
  stats?: ReadonlyMap<string, TableStats>;
}

function toReference(catalog: Catalog, table: CatalogTable, fk: CatalogForeignKey): PlanReference {
  const notNull = new Set(table.columns.filter((c) => c.notNull).map((c) => c.name));
  return {
    constraint: fk.name,
    columns: fk.columns,
    table:
      fk.referencedSchema === catalog.schema
        ? fk.referencedTable
        : qualifiedName(fk.referencedSchema, fk.referencedTable),
    referencedColumns: fk.referencedColumns,
    nullable: fk.columns.every((c) => !notNull.has(c)),
    onDelete: fk.onDelete,
  };
}

/** Every foreign key between mirrored tables, as order edges (self-references included). */
function mirroredEdges(
  catalog: Catalog,
  scope: PlanScope,
): Array<OrderEdge & { ref: PlanReference }> {
  const mirrored = new Set(scope.mirrored);
  return catalog.tables
    .filter((t) => mirrored.has(t.name))
    .flatMap((t) =>
      t.foreignKeys
        .filter((fk) => fk.referencedSchema === catalog.schema && mirrored.has(fk.referencedTable))
        .map((fk) => {
          const ref = toReference(catalog, t, fk);
          return {
            from: t.name,
            to: fk.referencedTable,
            id: `${t.name}\0${fk.name}`,
            nullable: ref.nullable,
            ref,
          };
        }),
    );
}

function tieBreak(
  scope: PlanScope,
  phases: Map<string, TablePhase>,
): (a: string, b: string) => number {
  const preferred = new Map(scope.mirrored.map((t, i) => [t, i]));
  return (a, b) =>
    PHASE_RANK[phases.get(a)!.kind] - PHASE_RANK[phases.get(b)!.kind] ||
    preferred.get(a)! - preferred.get(b)! ||
    (a < b ? -1 : a > b ? 1 : 0);
}

function plannedTable(
  catalog: Catalog,
  name: string,
  context: {
    scope: PlanScope;
    phase: TablePhase;
    deferred: Set<string>;
    position: Map<string, number>;
    stats?: TableStats;
  },
): PlannedTable {
  const { scope, phase, deferred, position } = context;
  const table = catalog.tables.find((t) => t.name === name)!;
  const planned = new Set(scope.planned);
  const mirrored = new Set(scope.mirrored);
  const entry: PlannedTable = {
    name,
    position: position.get(name)! + 1,
    phase: phase.phase,
    phaseKind: phase.kind,
    dependsOn: [],
    dependencies: [],
    secondPass: [],
    notMirrored: [],
    leftOut: [],
    referencedBy: [],
    rows: context.stats?.rows ?? null,
    rowsEstimated: context.stats?.rowsEstimated ?? false,
    bytes: context.stats?.bytes ?? null,
    reason: '',
  };
  for (const fk of table.foreignKeys) {
    const ref = toReference(catalog, table, fk);
    const sameSchema = fk.referencedSchema === catalog.schema;
    if (!sameSchema || !mirrored.has(fk.referencedTable)) entry.notMirrored.push(ref);
    else if (fk.referencedTable === name)
      entry.secondPass.push({ ...ref, because: 'self-reference' });
    else if (!planned.has(fk.referencedTable)) entry.leftOut.push(ref);
    else if (deferred.has(`${name}\0${fk.name}`))
      entry.secondPass.push({ ...ref, because: 'cycle' });
    else entry.dependencies.push(ref);
  }
  entry.dependsOn = [...new Set(entry.dependencies.map((d) => d.table))].sort(
    (a, b) => position.get(a)! - position.get(b)!,
  );
  return entry;
}

export function buildPlan(catalog: Catalog, options: PlanOptions): MigrationPlan {
  const scope = planScope(catalog, options.config, options.only);
  const edges = mirroredEdges(catalog, scope);
  const phases = assignPhases(scope.mirrored, edges);
  const planned = new Set(scope.planned);
  const result = orderTables(
    scope.planned,
    edges.filter((e) => e.from !== e.to && planned.has(e.from) && planned.has(e.to)),
    tieBreak(scope, phases),
  );
  const position = new Map(result.order.map((t, i) => [t, i]));
  const deferred = new Set(result.deferred.map((e) => e.id));
  const tables = result.order.map((name) =>
    plannedTable(catalog, name, {
      scope,
      phase: phases.get(name)!,
      deferred,
      position,
      stats: options.stats?.get(name),
    }),
  );
  for (const t of tables) {
    for (const dep of [...t.dependencies, ...t.secondPass.filter((s) => s.because === 'cycle')]) {
      const parent = tables[position.get(dep.table)!]!;
      if (!parent.referencedBy.includes(t.name)) parent.referencedBy.push(t.name);
    }
  }
  for (const t of tables) t.reason = planReason(t, phases.get(t.name)!);
  const phaseList: MigrationPlan['phases'] = [];
  for (const t of tables) {
    const last = phaseList[phaseList.length - 1];
    if (last && last.name === t.phase) last.tables.push(t.name);
    else phaseList.push({ name: t.phase, kind: t.phaseKind, tables: [t.name] });
  }
  return {
    schema: catalog.schema,
    order: result.order,
    tables,
    phases: phaseList,
    cycles: result.cycles.map((cycle) => ({
      tables: cycle,
      deferred: result.deferred
        .filter((e) => cycle.includes(e.from))
        .map(
          (e) => `${e.from}.${edges.find((x) => x.id === e.id)!.ref.columns.join(',')} → ${e.to}`,
        ),
    })),
    leftOut: [...new Set(tables.flatMap((t) => t.leftOut.map((r) => r.table)))].sort(),
    skipped: scope.skipped,
  };
}

/** The mirrored tables in plan order: the order of the generated mirror configuration. */
export function planOrder(catalog: Catalog, config: ProjectConfig): string[] {
  return buildPlan(catalog, { config }).order;
}
