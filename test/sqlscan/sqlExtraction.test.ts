import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser } from '../../src/sqlscan/parseSnippet.js';
import { scanText } from '../../src/sqlscan/scanFile.js';

beforeAll(() => loadSqlParser());

/** `line:col table kind` for every table reference (dynamic names shown as `?`), plus warnings. */
function scan(code: string, file = 'x.ts'): { refs: string[]; warnings: string[] } {
  const result = scanText(file, code);
  return {
    refs: result.units
      .flatMap((u) => u.refs)
      .map(
        (r) =>
          `${r.line}:${r.column} ${r.dynamic ? '?' : r.schema ? `${r.schema}.${r.table}` : r.table} ${r.statement}${r.write ? ` [${r.write.join(',')}]` : ''}`,
      ),
    warnings: result.warnings.map((w) => `${w.line}:${w.column} ${w.message}`),
  };
}

describe('what the parser sees as a table', () => {
  it('folds unquoted names and keeps quoted ones', () => {
    expect(scan('sql`select * from USERS, "Users", "users"`').refs).toEqual([
      '1:19 users select',
      '1:26 Users select',
      '1:35 users select',
    ]);
  });

  it('lets a WITH name hide a table only where it is visible', () => {
    const plain = 'sql`with a as (select * from users), users as (select 1) select * from users`';
    expect(scan(plain).refs).toEqual(['1:30 users select']);
    const recursive =
      'sql`with recursive users as (select 1 union all select * from users) select * from users`';
    expect(scan(recursive).refs).toEqual([]);
    expect(scan('sql`with users as (select 1) delete from users`').refs).toEqual([
      '1:42 users delete [delete]',
    ]);
  });

  it('gives each table the kind of the statement that names it', () => {
    expect(scan('sql`insert into story (author) select id from users`').refs).toEqual([
      '1:17 story insert [insert]',
      '1:47 users select',
    ]);
    expect(scan('sql`with d as (delete from sessions returning *) select * from d`').refs).toEqual([
      '1:28 sessions delete [delete]',
    ]);
    expect(scan('sql`drop table if exists public.users`').refs).toEqual(['1:5 public.users drop']);
    expect(
      scan('sql`update story set x = 1 from accounts a where a.id = story.author`').refs,
    ).toEqual(['1:12 story update [update]', '1:33 accounts update']);
  });

  it('finds tables in joins, lateral subqueries and EXISTS', () => {
    const code = [
      'sql`',
      '  select s.id from story s',
      '  join lateral (select name from "users" where id = s.author) u on true',
      '  where exists (select 1 from auth.sessions x where x.user_id = s.author)',
      '`',
    ].join('\n');
    expect(scan(code).refs).toEqual([
      '2:20 story select',
      '3:34 users select',
      '4:31 auth.sessions select',
    ]);
  });
});

describe('interpolations', () => {
  it('substitutes postgres.js helpers by position', () => {
    const code = [
      'await sql`insert into users ${sql(user, "name", "email")} returning id`;',
      'await sql`update accounts set ${sql(patch, "name")} where id = ${id}`;',
      'await sql`select * from story where id in ${sql(ids)}`;',
      "await sql`select ${sql('name')} from ${sql('users')}`;",
    ].join('\n');
    expect(scan(code)).toEqual({
      refs: [
        '1:23 users insert [insert]',
        '2:18 accounts update [update]',
        '3:25 story select',
        '4:44 users select',
      ],
      warnings: [],
    });
  });

  it('inlines nested sql fragments, directly, in conditionals and through a const', () => {
    const code = [
      'const onlyMine = sql`and author = ${me}`;',
      'await sql`select * from story where true ${onlyMine}',
      '  ${admin ? sql`and author in (select id from users)` : sql``}`;',
    ].join('\n');
    expect(scan(code)).toEqual({ refs: ['2:25 story select', '3:47 users select'], warnings: [] });
  });

  it('parses a fragment on its own when it is not a statement', () => {
    expect(scan('const f = sql`and author in (select id from accounts)`;')).toEqual({
      refs: ['1:45 accounts select'],
      warnings: [],
    });
  });

  it('inlines const strings into untagged templates and marks other names dynamic', () => {
    const code = [
      "const TABLE = 'users';",
      'await pool.query(`select * from ${TABLE} where id = $1`, [id]);',
      'await pool.query(`delete from ${schema}.${table} where id = ${id}`);',
    ].join('\n');
    expect(scan(code)).toEqual({
      refs: ['1:16 users select', '3:31 ? delete [delete]'],
      warnings: [],
    });
  });

  it('inlines the literal of sql.unsafe', () => {
    expect(scan("sql`select * from ${sql.unsafe('sessions')} where x = ${x}`").refs).toEqual([
      '1:33 sessions select',
    ]);
  });
});

describe('where SQL is looked for', () => {
  it('reads query calls, query objects, Prisma raw tags and SQL-named consts', () => {
    const code = [
      "await client.query({ text: 'delete from sessions where id = $1', values: [id] });",
      'await prisma.$executeRawUnsafe("update accounts set x = 1");',
      'await prisma.$queryRaw`select * from verification_token`;',
      "export const LIST_USERS_SQL = 'select id from users';",
    ].join('\n');
    expect(scan(code).refs).toEqual([
      '1:41 sessions delete [delete]',
      '2:40 accounts update [update]',
      '3:38 verification_token select',
      '4:47 users select',
    ]);
  });

  it('ignores strings that are not SQL and templates with other tags', () => {
    const code = [
      "app.get('/admin/users', handler);",
      "await db.query('/admin/users');",
      "headers.get('users');",
      'const q = gql`query { users { id } }`;',
      "logger.info('Select the users you want to invite');",
      'const users = await loadUsers();',
    ].join('\n');
    expect(scan(code)).toEqual({ refs: [], warnings: [] });
  });

  it('reads SQL-shaped strings elsewhere, but not prose in JSX, and stays quiet when they do not parse', () => {
    const code = [
      "const EXISTS_SQL = { user: 'SELECT 1 FROM users WHERE id = $1', story: 'SELECT 1 FROM story' } as const;",
      "await updateColumn(tx, 'UPDATE accounts SET name = $2 WHERE id = $1', id);",
      "toast('Update your profile: set a name');",
      "const item = <MenuItem title='Delete from users list' />;",
      "notify('select the users from whom you want reviews, then press OK');",
    ].join('\n');
    expect(scan(code, 'x.tsx')).toEqual({
      refs: ['1:43 users select', '1:87 story select', '2:32 accounts update [update]'],
      warnings: [],
    });
    expect(scan("const QUERY = 'SELECT FROM WHERE';").warnings).toEqual([
      '1:28 could not parse SQL: syntax error at or near "WHERE"',
    ]);
  });

  it('maps positions through escapes and non-ASCII text', () => {
    expect(scan("pool.query('select \\'é\\' as a;\\nselect * from users')").refs).toEqual([
      '1:47 users select',
    ]);
    expect(scan("sql`select 'ünïcödé 😀', * from users`").refs).toEqual(['1:33 users select']);
  });

  it('reports each unparsable statement of a .sql file and checks the rest', () => {
    const file = ['select * from users;', 'selec oops;', 'delete from sessions;', ''].join('\n');
    expect(scan(file, 'db/x.sql')).toEqual({
      refs: ['1:15 users select', '3:13 sessions delete [delete]'],
      warnings: ['2:1 could not parse SQL: syntax error at or near "selec"'],
    });
  });

  it('reports an unparsable tagged template at the error position', () => {
    expect(scan('\nawait sql`select * from story where`;').warnings).toEqual([
      '2:36 could not parse SQL: syntax error at end of input',
    ]);
  });
});
