/**
 * The write groups as `tandem plan` shows them: the groups derived now (from
 * the outbox's transactions, the inventory's write sites when sources are
 * given, and the application's declared write paths), the saved groups with
 * their write stage and phase (the slowest of their tables'), and every write
 * path that crosses saved groups (seen at runtime, or in the inventory).
 */
import { readPhases } from '../phases/store.js';
import type { Phase } from '../phases/phases.js';
import type { Queryable } from '../postgres/database.js';
import { listRuntimeCrossings, watchCrossings } from './crossings.js';
import type { Logger } from '../log.js';
import { slowestPhase } from './groupPhases.js';
import { readWriteGroups } from './groupStore.js';
import {
  deriveWriteGroups,
  findCrossings,
  type GroupCrossing,
  type WriteGroup,
  type WritePath,
} from './groups.js';
import { scanOutboxTransactions, writePathsFromTransactions } from './writePaths.js';
import type { WriteStage } from './writeStages.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface SavedGroupReport {
  name: string;
  tables: string[];
  stage: WriteStage;
  paused: boolean;
  /** The slowest of its tables' phases. */
  phase: Phase;
}

export interface WriteGroupReport {
  derived: WriteGroup[];
  saved: SavedGroupReport[];
  /** Crossings of the saved groups: runtime transactions and the write paths given. */
  crossings: GroupCrossing[];
  /** Derived groups differ from the saved ones (or none are saved). */
  unsaved: boolean;
}

export interface WriteGroupReportOptions {
  /** The mirrored tables. */
  tables: readonly string[];
  /** Write paths from the inventory or the application (the outbox's transactions are always read). */
  writePaths?: readonly WritePath[];
  names?: Readonly<Record<string, string>>;
  /** Where crossings found by this report's scan of the outbox are logged. */
  log?: Logger;
}

export async function writeGroupReport(
  db: Queryable, tool: ToolSchema,
  options: WriteGroupReportOptions,
): Promise<WriteGroupReport> {
  await watchCrossings(db, tool, { log: options.log });
  const { transactions } = await scanOutboxTransactions(db, tool);
  const given = options.writePaths ?? [];
  const derived = deriveWriteGroups({
    tables: options.tables,
    writePaths: [...given, ...writePathsFromTransactions(transactions)],
    names: options.names,
  });
  const stored = await readWriteGroups(db, tool);
  const phases = await readPhases(
    db, tool,
    stored.flatMap((g) => g.tables),
  );
  const saved = stored.map((g) => ({
    name: g.name,
    tables: g.tables,
    stage: g.stage,
    paused: g.pausedAt !== null,
    phase: slowestPhase(g.tables, phases),
  }));
  const crossings = [...(await listRuntimeCrossings(db, tool)), ...findCrossings(stored, given)];
  const key = (gs: ReadonlyArray<{ name: string; tables: readonly string[] }>) =>
    JSON.stringify(gs.map((g) => [g.name, [...g.tables].sort()]).sort());
  return { derived, saved, crossings, unsaved: key(derived) !== key(stored) };
}

export function formatWriteGroups(report: WriteGroupReport): string {
  const lines = [
    '',
    'write groups (tables written by one write path or one transaction change writer together)',
  ];
  if (report.saved.length === 0)
    lines.push('  none saved: tandem plan --save-groups --why "…" saves the derived groups below');
  for (const g of report.saved)
    lines.push(
      `  ${g.name}: ${g.tables.join(', ')}  phase ${g.phase}  writes ${g.stage}${g.paused ? ' (paused)' : ''}`,
    );
  if (report.unsaved) {
    lines.push(
      '',
      report.saved.length ? 'derived now (differs from the saved groups):' : 'derived now:',
    );
    for (const g of report.derived)
      lines.push(
        `  ${g.name}: ${g.tables.join(', ')}${g.writePaths.length ? `  (${g.writePaths.join(', ')})` : ''}`,
      );
  }
  if (report.crossings.length > 0) {
    lines.push('', 'write paths crossing groups (their groups cannot move writes until resolved):');
    for (const c of report.crossings)
      lines.push(`  ${c.path} (${c.source}): ${c.tables.join(', ')} in ${c.groups.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
