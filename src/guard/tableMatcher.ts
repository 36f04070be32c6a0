/**
 * Which table names the guard looks for. Names are given the way one would write
 * them in SQL: unquoted names fold to lower case (`Users` is `users`), a
 * double-quoted name keeps its case (`"Users"`), and `schema.table` matches only
 * that schema. An unqualified name matches that table in any schema, because
 * code that reaches `auth.users` or `public.users` touches a legacy table either way.
 */
import { InvalidInputError } from '../core/errors.js';

export interface TableMatcher {
  matches(table: string, schema: string | undefined): boolean;
}

interface Wanted {
  schema?: string;
  table: string;
}

export function tableMatcher(names: readonly string[]): TableMatcher {
  const wanted = names.map(parseName);
  return {
    matches: (table, schema) =>
      wanted.some((w) => w.table === table && (w.schema === undefined || w.schema === schema)),
  };
}

function parseName(name: string): Wanted {
  const parts = name.trim().match(/"(?:[^"]|"")*"|[^."]+/g) ?? [];
  const folded = parts.map((p) =>
    p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase(),
  );
  if (folded.length === 0 || folded.length > 2 || folded.some((p) => p === '')) {
    throw new InvalidInputError('tables', `not a table name: ${JSON.stringify(name)}`);
  }
  return folded.length === 2
    ? { schema: folded[0], table: folded[1] as string }
    : { table: folded[0] as string };
}
