/**
 * The write groups as saved in the tool's schema (tandem.write_group), with
 * each group's write stage. Saving replaces the set of groups in one
 * transaction; a group whose writes are not on `postgres` must come through a
 * save unchanged (its tables are where its writer is decided), so a save that
 * would split or join it is refused and nothing is written.
 */
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import type { WriteGroup } from './groups.js';
import type { WriteStage } from './writeStages.js';
import { toolObjectLiteral, toolScopedName, type ToolSchema } from '../core/toolSchema.js';

/** The channel every change of a group or its stage is announced on (payload: the group name). */
export function writeStageChannel(tool: ToolSchema): string {
  return toolScopedName(tool, 'tandem_write_stages');
}

export interface StoredWriteGroup extends WriteGroup {
  stage: WriteStage;
  /** Set while a rollback holds the group's writes. */
  pausedAt: Date | null;
  /** Increases with every change of any group. */
  version: number;
  updatedAt: Date;
}

interface GroupRow {
  name: string;
  tables: string[];
  write_paths: string[];
  stage: WriteStage;
  paused_at: Date | null;
  version: string;
  updated_at: Date;
}

const toGroup = (r: GroupRow): StoredWriteGroup => ({
  name: r.name,
  tables: r.tables,
  writePaths: r.write_paths,
  stage: r.stage,
  pausedAt: r.paused_at,
  version: Number(r.version),
  updatedAt: r.updated_at,
});

const COLUMNS = 'name, tables, write_paths, stage, paused_at, version, updated_at';

/** Every saved group, by name. */
export async function readWriteGroups(db: Queryable, tool: ToolSchema): Promise<StoredWriteGroup[]> {
  const { rows } = await db.query<GroupRow>(
    `SELECT ${COLUMNS} FROM ${tool.sql}.write_group ORDER BY name`,
  );
  return rows.map(toGroup);
}

/** Locks one group's row (inside a transaction); NotFound is the caller's to word. */
export async function lockWriteGroup(
  tx: Queryable, tool: ToolSchema,
  name: string,
): Promise<StoredWriteGroup | null> {
  const { rows } = await tx.query<GroupRow>(
    `SELECT ${COLUMNS} FROM ${tool.sql}.write_group WHERE name = $1 FOR UPDATE`,
    [name],
  );
  return rows[0] ? toGroup(rows[0]) : null;
}

export function requireWhy(why: string | undefined): string {
  if (typeof why !== 'string' || why.trim() === '')
    throw new InvalidInputError(
      'why',
      'say why (--why "…" or --reason "…"); it is recorded in the audit log',
    );
  return why.trim();
}

export function unknownGroupError(name: string, known: readonly string[]): InvalidInputError {
  return new InvalidInputError(
    'group',
    `${JSON.stringify(name)} is not a saved write group (known: ${known.join(', ') || 'none: run tandem plan --save-groups'})`,
  );
}

export interface SaveGroupsResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

function checkDisjoint(groups: readonly WriteGroup[]): void {
  const owner = new Map<string, string>();
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.name))
      throw new InvalidInputError('groups', `two groups are named ${JSON.stringify(g.name)}`);
    names.add(g.name);
    if (g.tables.length === 0)
      throw new InvalidInputError('groups', `group ${g.name} has no table`);
    for (const t of g.tables) {
      if (owner.has(t))
        throw new InvalidInputError(
          'groups',
          `table ${t} is in two groups (${owner.get(t)} and ${g.name})`,
        );
      owner.set(t, g.name);
    }
  }
}

const sameTables = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i]);

/**
 * Replaces the saved groups with `groups` (derived by deriveWriteGroups).
 * Stages of groups kept (same name) are kept; new groups start at `postgres`.
 */
export async function saveWriteGroups(
  pool: pg.Pool, tool: ToolSchema,
  groups: readonly WriteGroup[],
  request: { actor: string; why: string },
): Promise<SaveGroupsResult> {
  checkDisjoint(groups);
  const why = requireWhy(request.why);
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<GroupRow>(
      `SELECT ${COLUMNS} FROM ${tool.sql}.write_group ORDER BY name FOR UPDATE`,
    );
    const saved = new Map(rows.map((r) => [r.name, toGroup(r)]));
    const next = new Map(groups.map((g) => [g.name, g]));
    for (const old of saved.values()) {
      if (old.stage === 'postgres') continue;
      const kept = next.get(old.name);
      if (!kept || !sameTables(kept.tables, old.tables))
        throw new InvalidInputError(
          'groups',
          `group ${old.name} writes at ${old.stage}; the new groups would ${kept ? `change its tables to ${kept.tables.join(', ')}` : 'drop it'}: roll its writes back to postgres first`,
        );
    }
    const result: SaveGroupsResult = { added: [], removed: [], changed: [], unchanged: [] };
    for (const old of saved.values()) if (!next.has(old.name)) result.removed.push(old.name);
    if (result.removed.length > 0)
      await tx.query(`DELETE FROM ${tool.sql}.write_group WHERE name = ANY($1::text[])`, [
        result.removed,
      ]);
    await tx.query(`DELETE FROM ${tool.sql}.write_group_table`);
    for (const g of groups) {
      const old = saved.get(g.name);
      const tables = [...g.tables].sort();
      const paths = [...g.writePaths].sort();
      if (!old) result.added.push(g.name);
      else if (
        sameTables(old.tables, tables) &&
        JSON.stringify(old.writePaths) === JSON.stringify(paths)
      )
        result.unchanged.push(g.name);
      else result.changed.push(g.name);
      await tx.query(
        `INSERT INTO ${tool.sql}.write_group (name, tables, write_paths, stage, version)
         VALUES ($1, $2, $3, 'postgres', nextval(${toolObjectLiteral(tool, 'write_stage_version')}))
         ON CONFLICT (name) DO UPDATE SET tables = EXCLUDED.tables, write_paths = EXCLUDED.write_paths,
           version = EXCLUDED.version, saved_at = now(), updated_at = now()
         WHERE (${tool.sql}.write_group.tables, ${tool.sql}.write_group.write_paths) IS DISTINCT FROM (EXCLUDED.tables, EXCLUDED.write_paths)`,
        [g.name, tables, paths],
      );
      await tx.query(
        `INSERT INTO ${tool.sql}.write_group_table (table_name, group_name) SELECT unnest($1::text[]), $2`,
        [tables, g.name],
      );
    }
    const touched = [...result.added, ...result.changed, ...result.removed];
    for (const name of touched) {
      const detail = {
        tables: next.get(name)?.tables ?? null,
        writePaths: next.get(name)?.writePaths ?? null,
      };
      await tx.query(
        `INSERT INTO ${tool.sql}.write_stage_history (group_name, actor, why, action, detail)
         VALUES ($1, $2, $3, 'groups-saved', $4::jsonb)`,
        [name, request.actor, why, JSON.stringify(detail)],
      );
    }
    if (touched.length > 0) await tx.query('SELECT pg_notify($1, $2)', [writeStageChannel(tool), '*']);
    for (const list of Object.values(result)) list.sort();
    return result;
  });
}
