/** Why a table has its place in the plan, in one line of words. */
import type { PlannedTable, PlanReference } from './buildPlan.js';
import type { TablePhase } from './phases.js';

/** `language (learning_language, from_language)`: referenced tables with the columns that reference them. */
export function describeReferences(refs: readonly PlanReference[]): string {
  const byTable = new Map<string, string[]>();
  for (const ref of refs)
    byTable.set(ref.table, [...(byTable.get(ref.table) ?? []), ref.columns.join('+')]);
  return [...byTable].map(([table, columns]) => `${table} (${columns.join(', ')})`).join(', ');
}

export function planReason(table: PlannedTable, phase: TablePhase): string {
  const parts = [`${phase.kind === 'core' ? 'core table' : phase.kind}: ${phase.because}`];
  if (table.dependencies.length > 0) parts.push(`after ${describeReferences(table.dependencies)}`);
  for (const ref of table.secondPass) {
    const what = ref.because === 'self-reference' ? 'references its own table' : 'closes a cycle';
    parts.push(`${ref.columns.join('+')} → ${ref.table} ${what}: filled in a second pass`);
  }
  if (table.notMirrored.length > 0)
    parts.push(`not mirrored: ${describeReferences(table.notMirrored)}`);
  if (table.leftOut.length > 0)
    parts.push(`left out (not in --tables): ${describeReferences(table.leftOut)}`);
  return parts.join('; ');
}
