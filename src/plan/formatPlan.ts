/** The plan as `tandem plan` prints it: a table for people, JSON for scripts. */
import { qualifiedName } from '../mapping/tableConfig.js';
import type { MigrationPlan } from './buildPlan.js';

export interface PlanJson {
  order: string[];
  /** Tables not mirrored because they cannot be keyed, with the reason. */
  skipped: Array<{ table: string; reason: string }>;
  tables: Record<
    string,
    {
      dependsOn: string[];
      phase: string;
      rows: number | null;
      bytes: number | null;
      rowsEstimated: boolean;
      secondPass: string[];
      notMirrored: string[];
      leftOut: string[];
      reason: string;
    }
  >;
}

const keyText = (table: string, ref: { columns: string[]; table: string }) =>
  `${table}.${ref.columns.join('+')} → ${ref.table}`;

export function planJson(plan: MigrationPlan): PlanJson {
  const tables: PlanJson['tables'] = {};
  for (const t of plan.tables) {
    tables[t.name] = {
      dependsOn: t.dependsOn,
      phase: t.phase,
      rows: t.rows,
      bytes: t.bytes,
      rowsEstimated: t.rowsEstimated,
      secondPass: t.secondPass.map((r) => keyText(t.name, r)),
      notMirrored: t.notMirrored.map((r) => keyText(t.name, r)),
      leftOut: t.leftOut.map((r) => keyText(t.name, r)),
      reason: t.reason,
    };
  }
  return { order: plan.order, skipped: plan.skipped, tables };
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatRows(rows: number | null, estimated: boolean): string {
  if (rows === null) return '-';
  return `${estimated ? '~' : ''}${rows}`;
}

export function formatPlan(plan: MigrationPlan): string {
  const nameWidth = Math.max(5, ...plan.tables.map((t) => t.name.length));
  const rowCells = plan.tables.map((t) => formatRows(t.rows, t.rowsEstimated));
  const rowWidth = Math.max(4, ...rowCells.map((c) => c.length));
  const byteCells = plan.tables.map((t) => formatBytes(t.bytes));
  const byteWidth = Math.max(4, ...byteCells.map((c) => c.length));
  const lines = [
    `Migration plan for schema ${qualifiedName(plan.schema)}: ${plan.tables.length} tables in ${plan.phases.length} phases`,
  ];
  for (const phase of plan.phases) {
    lines.push('', `phase ${phase.name}`);
    for (const name of phase.tables) {
      const i = plan.order.indexOf(name);
      const t = plan.tables[i]!;
      lines.push(
        `  ${String(t.position).padStart(2)}. ${name.padEnd(nameWidth)}  ${rowCells[i]!.padStart(rowWidth)} rows  ${byteCells[i]!.padStart(byteWidth)}  ${t.reason}`,
      );
    }
  }
  for (const cycle of plan.cycles) {
    lines.push(
      '',
      `cycle among ${cycle.tables.join(', ')}: a second pass fills ${cycle.deferred.join(', ')}`,
    );
  }
  if (plan.leftOut.length > 0) {
    lines.push(
      '',
      `left out by --tables but referenced: ${plan.leftOut.join(', ')} (copy them first)`,
    );
  }
  if (plan.skipped.length > 0) {
    lines.push('', 'skipped (not mirrored):');
    for (const s of plan.skipped) lines.push(`  ${s.table}: ${s.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
