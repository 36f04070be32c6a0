/**
 * What readCatalog leaves out about named relations of a schema: each one's
 * kind (so a view or a partition can be refused by name rather than reported
 * missing), its partitioned parent, and the trigger of a given name on it
 * (capture's, whose name the caller supplies).
 */
import type { Queryable } from '../database.js';

/** pg_trigger.tgenabled: O = fires (origin), A = always, R = replica only, D = disabled. */
export type TriggerEnabled = 'O' | 'A' | 'R' | 'D';

export interface RelationTrigger {
  enabled: TriggerEnabled;
  /** Arguments the trigger was created with. */
  args: string[];
  /** Schema-qualified name of the function the trigger calls, unquoted (`tandem.capture_story`). */
  functionName: string;
  /** That function's source (pg_proc.prosrc). */
  functionSource: string;
}

export interface RelationFacts {
  name: string;
  /** pg_class.relkind: r = ordinary table, p = partitioned, v = view, ... */
  relkind: string;
  /** The partitioned table this one is a partition of, or null. */
  partitionOf: string | null;
  /** The relation's own trigger of the asked name (a partition's clone of its parent's is not its own), or null. */
  trigger: RelationTrigger | null;
}

interface RelationRow {
  name: string;
  relkind: string;
  partition_of: string | null;
  tgenabled: TriggerEnabled | null;
  tgargs: Buffer | null;
  function_name: string | null;
  function_source: string | null;
}

const RELATIONS_SQL = `
SELECT c.relname AS name, c.relkind::text AS relkind,
       (SELECT pc.relname FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
         WHERE i.inhrelid = c.oid AND c.relispartition) AS partition_of,
       tr.tgenabled::text AS tgenabled, tr.tgargs,
       pn.nspname || '.' || p.proname AS function_name, p.prosrc AS function_source
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_trigger tr ON tr.tgrelid = c.oid AND tr.tgname = $3 AND NOT tr.tgisinternal
        AND tr.tgparentid = 0
  LEFT JOIN pg_catalog.pg_proc p ON p.oid = tr.tgfoid
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
 WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`;

/** tgargs is the arguments, each terminated by a NUL byte. */
function decodeTriggerArgs(raw: Buffer | null): string[] {
  if (!raw || raw.length === 0) return [];
  const text = raw.toString('utf8');
  return text.slice(0, text.endsWith('\0') ? -1 : undefined).split('\0');
}

/** Facts for each named relation that exists in the schema (absent ones are left out). */
export async function readRelations(
  db: Queryable,
  schema: string,
  names: readonly string[],
  triggerName: string,
): Promise<RelationFacts[]> {
  const { rows } = await db.query<RelationRow>(RELATIONS_SQL, [schema, names, triggerName]);
  return rows.map((r) => ({
    name: r.name,
    relkind: r.relkind,
    partitionOf: r.partition_of,
    trigger: r.tgenabled
      ? {
          enabled: r.tgenabled,
          args: decodeTriggerArgs(r.tgargs),
          functionName: r.function_name ?? '',
          functionSource: r.function_source ?? '',
        }
      : null,
  }));
}

/** Relations of the schema carrying a trigger of this name of their own, in name order. */
export async function tablesWithTrigger(
  db: Queryable,
  schema: string,
  triggerName: string,
): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_catalog.pg_trigger tr
       JOIN pg_catalog.pg_class c ON c.oid = tr.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND tr.tgname = $2 AND NOT tr.tgisinternal
        -- A partition's clone of its parent's trigger is the parent's, not its own.
        AND tr.tgparentid = 0
      ORDER BY 1`,
    [schema, triggerName],
  );
  return rows.map((r) => r.table);
}

/**
 * Partitions (at any depth) of the partitioned `schema.table` that carry a
 * trigger of this name of their own, not cloned from the parent's, in name order.
 */
export async function partitionsWithOwnTrigger(
  db: Queryable,
  schema: string,
  table: string,
  triggerName: string,
): Promise<string[]> {
  const { rows } = await db.query<{ partition: string }>(
    `SELECT c.relname AS partition
       FROM pg_catalog.pg_partition_tree(format('%I.%I', $1::text, $2::text)::regclass) pt
       JOIN pg_catalog.pg_class c ON c.oid = pt.relid
       JOIN pg_catalog.pg_trigger tr ON tr.tgrelid = c.oid AND tr.tgname = $3 AND tr.tgparentid = 0
      WHERE pt.level > 0 ORDER BY 1`,
    [schema, table, triggerName],
  );
  return rows.map((r) => r.partition);
}
