/** The streak of green parity days and the unresolved drift (definitions in history.ts and docs/parity.md). */
import type { Queryable } from '../postgres/database.js';
import { runDrift, type DriftRecordKind } from './history.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface UnresolvedDrift {
  table: string;
  runId: number;
  mode: string;
  finishedAt: Date;
  /** Drift keys of that run (pending keys included: they were never shown clean). */
  keys: Array<{ kind: DriftRecordKind; key: string }>;
  /** The run found no keys but its counts differed (count mode). */
  countMismatch: boolean;
}

export interface ParityStatus {
  /** Consecutive green UTC days ending today (or yesterday while today has no run). */
  streakDays: number;
  /** The day the streak ends on (YYYY-MM-DD), null when 0. */
  streakEnds: string | null;
  unresolved: UnresolvedDrift[];
  unresolvedKeys: number;
}

interface LatestRow {
  id: string;
  table_name: string;
  mode: string;
  clean: boolean;
  finished_at: Date | string;
}

const DAY_MS = 86_400_000;
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

async function latestRuns(
  db: Queryable, tool: ToolSchema,
  now: Date,
  keyLevelOnly: boolean,
  table: string | null,
): Promise<Map<string, LatestRow>> {
  const { rows } = await db.query<LatestRow>(
    `SELECT DISTINCT ON (table_name) id, table_name, mode, clean, finished_at
       FROM ${tool.sql}.parity_run
      WHERE kind = 'parity' AND finished_at <= $1 AND (NOT $2 OR mode <> 'count')
        AND ($3::text IS NULL OR table_name = $3)
      ORDER BY table_name, finished_at DESC, id DESC`,
    [now, keyLevelOnly, table],
  );
  return new Map(rows.map((r) => [r.table_name, r]));
}

/** Per-table scope for the streak and drift: one table's runs only (default: every table's). */
export interface ParityScope {
  table?: string;
}

export async function unresolvedDrift(
  db: Queryable, tool: ToolSchema,
  now: Date,
  scope: ParityScope = {},
): Promise<UnresolvedDrift[]> {
  const table = scope.table ?? null;
  const [latest, latestKeyLevel] = [
    await latestRuns(db, tool, now, false, table),
    await latestRuns(db, tool, now, true, table),
  ];
  const out: UnresolvedDrift[] = [];
  for (const [table, run] of [...latest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let deciding: LatestRow | undefined = run;
    if (run.clean && run.mode === 'count') deciding = latestKeyLevel.get(table);
    if (!deciding || deciding.clean) continue;
    const keys = (await runDrift(db, tool, Number(deciding.id))).map(({ kind, key }) => ({ kind, key }));
    out.push({
      table,
      runId: Number(deciding.id),
      mode: deciding.mode,
      finishedAt: new Date(deciding.finished_at),
      keys,
      countMismatch: keys.length === 0,
    });
  }
  return out;
}

export async function parityStatus(
  db: Queryable, tool: ToolSchema,
  now: Date = new Date(),
  scope: ParityScope = {},
): Promise<ParityStatus> {
  const unresolved = await unresolvedDrift(db, tool, now, scope);
  const unresolvedKeys = unresolved.reduce((n, u) => n + Math.max(u.keys.length, u.countMismatch ? 1 : 0), 0);
  const { rows } = await db.query<{ day: string; clean: boolean }>(
    `SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, bool_and(clean) AS clean
       FROM ${tool.sql}.parity_run
      WHERE kind = 'parity' AND finished_at <= $1 AND finished_at > $2
        AND ($3::text IS NULL OR table_name = $3)
      GROUP BY 1`,
    [now, new Date(now.getTime() - 400 * DAY_MS), scope.table ?? null],
  );
  const days = new Map(rows.map((r) => [r.day, r.clean]));
  if (unresolved.length > 0) return { streakDays: 0, streakEnds: null, unresolved, unresolvedKeys };
  let day = new Date(now.getTime());
  if (!days.has(utcDay(day))) day = new Date(day.getTime() - DAY_MS);
  const streakEnds = days.get(utcDay(day)) ? utcDay(day) : null;
  let streakDays = 0;
  while (days.get(utcDay(day)) === true) {
    streakDays += 1;
    day = new Date(day.getTime() - DAY_MS);
  }
  return { streakDays, streakEnds, unresolved, unresolvedKeys };
}
