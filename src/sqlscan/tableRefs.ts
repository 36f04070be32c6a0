/**
 * Every table a parsed statement names, from libpg-query's AST.
 *
 * The walk is generic (any node with a `relname` is a table reference, wherever
 * the grammar puts it: FROM, JOIN, subqueries, REFERENCES, CREATE INDEX ON …),
 * with three rules on top:
 * - a WITH name hides a table of the same unqualified name inside its scope
 *   (earlier CTEs for a plain WITH, all of them for WITH RECURSIVE) — but never
 *   the target of INSERT/UPDATE/DELETE/MERGE, which Postgres always resolves to a
 *   real table;
 * - write targets carry their operation (insert, upsert for ON CONFLICT, update,
 *   delete, truncate, copy for COPY … FROM; MERGE gives the operations of its WHEN
 *   clauses, insert + update counting as an upsert);
 * - each reference carries the kind of the innermost statement naming it, so in
 *   `insert into story select … from users`, story is `insert`, users `select`.
 * Names come folded the way Postgres folds them (unquoted → lower case).
 */
import type { ParseResult } from 'libpg-query';

export type WriteOp = 'insert' | 'update' | 'delete' | 'upsert' | 'truncate' | 'copy';

export interface TableRef {
  table: string;
  schema?: string;
  /** Lower-case statement kind: select, insert, upsert, update, delete, merge, truncate, copy, create, alter, drop… */
  statement: string;
  /** Set when the reference is the target of a write. */
  write?: WriteOp[];
  /** UTF-8 byte offset in the parsed text. */
  location: number;
}

/** Placeholder names the scanner invents for dynamic identifiers start with this. */
export const SYNTHETIC_NAME_PREFIX = '__tandem_';

interface Scope {
  ctes: ReadonlySet<string>;
  statement: string;
  stmtLocation: number;
}

type AstObject = Record<string, unknown>;

const DROPPED_TABLE_TYPES = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
]);

export function tableRefs(result: ParseResult): TableRef[] {
  const out: TableRef[] = [];
  for (const raw of result.stmts ?? []) {
    visit(
      raw.stmt,
      { ctes: new Set(), statement: 'unknown', stmtLocation: raw.stmt_location ?? 0 },
      out,
    );
  }
  return out;
}

function isObject(value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRangeVar(value: AstObject): boolean {
  return typeof value.relname === 'string';
}

function visit(value: unknown, scope: Scope, out: TableRef[]): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, scope, out);
    return;
  }
  if (!isObject(value)) return;
  if (isRangeVar(value)) {
    addRef(value, scope, out, undefined);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key.endsWith('Stmt') && /^[A-Z]/.test(key) && isObject(child))
      visitStatement(key, child, scope, out);
    else visit(child, scope, out);
  }
}

function visitStatement(type: string, node: AstObject, outer: Scope, out: TableRef[]): void {
  const scope: Scope = { ...outer, statement: statementKind(type, node) };
  const bodyScope = isObject(node.withClause) ? visitWith(node.withClause, scope, out) : scope;
  const target = writeTarget(type, node);
  for (const [key, child] of Object.entries(node)) {
    if (key === 'withClause') continue;
    if (target && key === target.field) {
      for (const rel of Array.isArray(child) ? child : [child]) {
        const rangeVar = isObject(rel) && isObject(rel.RangeVar) ? rel.RangeVar : rel;
        if (isObject(rangeVar) && isRangeVar(rangeVar)) addRef(rangeVar, scope, out, target.ops);
      }
      continue;
    }
    visit(child, bodyScope, out);
  }
  if (type === 'DropStmt') addDropped(node, scope, out);
}

function visitWith(withClause: AstObject, scope: Scope, out: TableRef[]): Scope {
  const ctes = (Array.isArray(withClause.ctes) ? withClause.ctes : [])
    .map((c) => (isObject(c) && isObject(c.CommonTableExpr) ? c.CommonTableExpr : undefined))
    .filter((c): c is AstObject => c !== undefined);
  const allNames = ctes.map((c) => String(c.ctename));
  const seen: string[] = [];
  for (const cte of ctes) {
    const visible = withClause.recursive === true ? allNames : seen;
    visit(cte.ctequery, { ...scope, ctes: new Set([...scope.ctes, ...visible]) }, out);
    seen.push(String(cte.ctename));
  }
  return { ...scope, ctes: new Set([...scope.ctes, ...allNames]) };
}

function addRef(
  rangeVar: AstObject,
  scope: Scope,
  out: TableRef[],
  write: WriteOp[] | undefined,
): void {
  const table = rangeVar.relname as string;
  const schema = typeof rangeVar.schemaname === 'string' ? rangeVar.schemaname : undefined;
  if (!write && !schema && scope.ctes.has(table)) return;
  const location =
    typeof rangeVar.location === 'number' && rangeVar.location >= 0
      ? rangeVar.location
      : scope.stmtLocation;
  out.push({ table, schema, statement: scope.statement, write, location });
}

/** DROP TABLE names its tables as plain name lists, not as table references. */
function addDropped(node: AstObject, scope: Scope, out: TableRef[]): void {
  if (!DROPPED_TABLE_TYPES.has(String(node.removeType))) return;
  for (const object of Array.isArray(node.objects) ? node.objects : []) {
    const items =
      isObject(object) && isObject(object.List) && Array.isArray(object.List.items)
        ? object.List.items
        : [];
    const names = items.map((item) =>
      isObject(item) && isObject(item.String) ? String(item.String.sval) : '',
    );
    const table = names.at(-1);
    if (!table) continue;
    out.push({
      table,
      schema: names.length > 1 ? names.at(-2) : undefined,
      statement: scope.statement,
      location: scope.stmtLocation,
    });
  }
}

function writeTarget(type: string, node: AstObject): { field: string; ops: WriteOp[] } | undefined {
  switch (type) {
    case 'InsertStmt':
      return { field: 'relation', ops: [node.onConflictClause ? 'upsert' : 'insert'] };
    case 'UpdateStmt':
      return { field: 'relation', ops: ['update'] };
    case 'DeleteStmt':
      return { field: 'relation', ops: ['delete'] };
    case 'MergeStmt':
      return { field: 'relation', ops: mergeOps(node) };
    case 'TruncateStmt':
      return { field: 'relations', ops: ['truncate'] };
    case 'CopyStmt':
      return node.is_from === true ? { field: 'relation', ops: ['copy'] } : undefined;
    default:
      return undefined;
  }
}

function mergeOps(node: AstObject): WriteOp[] {
  const ops = new Set<WriteOp>();
  for (const clause of Array.isArray(node.mergeWhenClauses) ? node.mergeWhenClauses : []) {
    const command =
      isObject(clause) && isObject(clause.MergeWhenClause)
        ? clause.MergeWhenClause.commandType
        : undefined;
    if (command === 'CMD_INSERT') ops.add('insert');
    if (command === 'CMD_UPDATE') ops.add('update');
    if (command === 'CMD_DELETE') ops.add('delete');
  }
  if (ops.has('insert') && ops.has('update')) {
    ops.delete('insert');
    ops.delete('update');
    ops.add('upsert');
  }
  return [...ops];
}

function statementKind(type: string, node: AstObject): string {
  switch (type) {
    case 'InsertStmt':
      return node.onConflictClause ? 'upsert' : 'insert';
    case 'ViewStmt':
    case 'IndexStmt':
    case 'RuleStmt':
    case 'CreateTableAsStmt':
      return 'create';
    case 'RenameStmt':
      return 'alter';
  }
  if (type.startsWith('Create')) return 'create';
  if (type.startsWith('Alter')) return 'alter';
  if (type.startsWith('Drop')) return 'drop';
  return type.replace(/Stmt$/, '').toLowerCase();
}
