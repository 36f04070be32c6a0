/** The phase each table is in, and the evidence drills, freeze and archive record (migration 0009). */
import type { Queryable } from '../postgres/database.js';
import { isPhase, type Phase } from './phases.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface TablePhaseRow {
  table: string;
  phase: Phase;
  /** When the table entered its phase; null for a table never moved (`not-mirrored`). */
  enteredAt: Date | null;
  forced: boolean;
}

export async function readPhases(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<Map<string, TablePhaseRow>> {
  const { rows } = await db.query<{
    table_name: string;
    phase: string;
    entered_at: Date;
    forced: boolean;
  }>(
    `SELECT table_name, phase, entered_at, forced FROM ${tool.sql}.table_phase WHERE table_name = ANY($1::text[])`,
    [tables],
  );
  const found = new Map(rows.map((r) => [r.table_name, r]));
  return new Map(
    tables.map((table) => {
      const row = found.get(table);
      // A phase name this build does not know is a newer Tandem's: refuse rather than guess.
      if (row && !isPhase(row.phase))
        throw new Error(`${tool.sql}.table_phase: ${table} has unknown phase ${row.phase}`);
      return [
        table,
        row
          ? {
              table,
              phase: row.phase as Phase,
              enteredAt: new Date(row.entered_at),
              forced: row.forced,
            }
          : { table, phase: 'not-mirrored', enteredAt: null, forced: false },
      ];
    }),
  );
}

/** Tables at the end of the plan: decommissioned, so no longer where discovery looks for them. */
export async function decommissionedTables(db: Queryable, tool: ToolSchema): Promise<TablePhaseRow[]> {
  const { rows } = await db.query<{ table_name: string; entered_at: Date; forced: boolean }>(
    `SELECT table_name, entered_at, forced FROM ${tool.sql}.table_phase WHERE phase = 'decommissioned' ORDER BY table_name`,
  );
  return rows.map((r) => ({ table: r.table_name, phase: 'decommissioned', enteredAt: new Date(r.entered_at), forced: r.forced }));
}

export async function writePhase(
  db: Queryable, tool: ToolSchema,
  table: string,
  phase: Phase,
  at: Date,
  forced: boolean,
): Promise<void> {
  await db.query(
    `INSERT INTO ${tool.sql}.table_phase (table_name, phase, entered_at, forced) VALUES ($1, $2, $3, $4)
     ON CONFLICT (table_name) DO UPDATE SET phase = $2, entered_at = $3, forced = $4`,
    [table, phase, at, forced],
  );
}

export type EvidenceKind = 'idempotency-drill' | 'rollback-drill' | 'freeze' | 'archive';

export interface Evidence {
  id: number;
  table: string;
  kind: EvidenceKind;
  passed: boolean;
  recordedAt: Date;
  detail: Record<string, unknown>;
}

export async function recordEvidence(
  db: Queryable, tool: ToolSchema,
  entry: Omit<Evidence, 'id'>,
): Promise<Evidence> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${tool.sql}.phase_evidence (table_name, kind, passed, recorded_at, detail)
     VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id`,
    [entry.table, entry.kind, entry.passed, entry.recordedAt, JSON.stringify(entry.detail)],
  );
  return { ...entry, id: Number(rows[0]!.id) };
}

/** The latest evidence of each kind for the table, as of `now` (later rows are a moved clock's future). */
export async function latestEvidence(
  db: Queryable, tool: ToolSchema,
  table: string,
  now: Date,
): Promise<Map<EvidenceKind, Evidence>> {
  const { rows } = await db.query<{
    id: string;
    kind: EvidenceKind;
    passed: boolean;
    recorded_at: Date;
    detail: Record<string, unknown>;
  }>(
    `SELECT DISTINCT ON (kind) id, kind, passed, recorded_at, detail
       FROM ${tool.sql}.phase_evidence
      WHERE table_name = $1 AND recorded_at <= $2
      ORDER BY kind, recorded_at DESC, id DESC`,
    [table, now],
  );
  return new Map(
    rows.map((r) => [
      r.kind,
      {
        id: Number(r.id),
        table,
        kind: r.kind,
        passed: r.passed,
        recordedAt: new Date(r.recorded_at),
        detail: r.detail,
      },
    ]),
  );
}

/** When each of the tables that are frozen was frozen (tandem freeze). */
export async function frozenTables(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ table_name: string; frozen_at: Date }>(
    `SELECT table_name, frozen_at FROM ${tool.sql}.table_freeze WHERE table_name = ANY($1::text[])`,
    [tables],
  );
  return new Map(rows.map((r) => [r.table_name, new Date(r.frozen_at)]));
}

/** Outbox changes still pending, per table (absent: none). */
export async function pendingByTable(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table_name: string; n: string }>(
    `SELECT table_name, count(*) AS n FROM ${tool.sql}.outbox
      WHERE status = 'pending' AND table_name = ANY($1::text[]) GROUP BY table_name`,
    [tables],
  );
  return new Map(rows.map((r) => [r.table_name, Number(r.n)]));
}
