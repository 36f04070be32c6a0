import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scanForTables, type GuardFinding } from '../../src/guard/scanForTables.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const appRoot = path.join(repoRoot, 'test/fixtures/nextapp');
const run = promisify(execFile);

// The legacy tables of the fixture app, as its tandem.config.json lists them.
const LEGACY = ['users', 'accounts', 'sessions', 'verification_token'];
const result = await scanForTables(['.'], { cwd: appRoot, tables: LEGACY });
const at = (f: GuardFinding): string => `${f.file}:${f.line} ${f.table} ${f.statement}`;

describe('guard on a Next.js app using postgres.js tagged templates', () => {
  it('finds exactly the SQL that touches the legacy auth tables', () => {
    expect(result.findings.map(at)).toEqual([
      // quoted identifier, and a schema-qualified join
      'app/admin/users/page.tsx:8 users select',
      'app/admin/users/page.tsx:9 sessions select',
      // .sql file: CREATE TABLE, a REFERENCES clause, a view's join
      'db/legacy.sql:2 users create',
      'db/legacy.sql:8 sessions create',
      'db/legacy.sql:11 users create',
      'db/legacy.sql:18 users select',
      // one-line tagged template with a type argument; multi-line with auth.users and an IN helper
      'lib/users.ts:11 users select',
      'lib/users.ts:18 users select',
      // a string constant passed to pool.query in a Pages Router API route
      'pages/api/legacy/logout.ts:5 sessions delete',
      // a script: TRUNCATE of two tables, DELETE
      'scripts/reset-sessions.ts:8 sessions truncate',
      'scripts/reset-sessions.ts:8 verification_token truncate',
      'scripts/reset-sessions.ts:9 accounts delete',
    ]);
    expect(result.filesScanned).toBe(16);
  });

  it('points each finding at the table name in the file', () => {
    for (const finding of result.findings) {
      const line =
        fs.readFileSync(path.join(appRoot, finding.file), 'utf8').split('\n')[finding.line - 1] ??
        '';
      const token = line.slice(finding.column - 1).match(/^"?[\w.]+"?/)?.[0] ?? '';
      expect(token.replace(/"/g, '').split('.').at(-1), at(finding)).toBe(finding.table);
    }
    const authUsers = result.findings.find((f) => f.file === 'lib/users.ts' && f.line === 18);
    expect(authUsers).toMatchObject({ column: 10, schema: 'auth' });
    const quoted = result.findings.find(
      (f) => f.file === 'app/admin/users/page.tsx' && f.line === 8,
    );
    expect(quoted?.column).toBe(10);
  });

  const decoys: Array<[string, string, number]> = [
    ['prose about users in JSX', 'app/(editor)/editor/story/[id]/page.tsx', 40],
    ['SQL-looking prose in JSX', 'app/(editor)/editor/story/[id]/page.tsx', 41],
    ['SQL in a JSX comment', 'app/(editor)/editor/story/[id]/page.tsx', 43],
    ['a /admin/users link', 'app/(editor)/editor/story/[id]/page.tsx', 44],
    ['a column alias named users', 'app/admin/users/page.tsx', 13],
    ['a JSX caption about users', 'app/admin/users/page.tsx', 16],
    ['a TypeScript variable named users', 'lib/users.ts', 16],
    ['a CTE named users', 'lib/stats.ts', 7],
    ['a read of that CTE', 'lib/stats.ts', 12],
    ['a column named users', 'lib/stats.ts', 18],
    ['a select alias named users', 'lib/stats.ts', 22],
    ['a URL constant', 'lib/search.ts', 4],
    ['a comment with a URL', 'lib/search.ts', 19],
    ['SQL in a line comment', 'components/UserBadge.tsx', 4],
    ['SQL in a block comment', 'components/UserBadge.tsx', 5],
    ['a template string about users', 'components/UserBadge.tsx', 7],
    ['a users prop in JSX', 'components/UserBadge.tsx', 10],
  ];
  it.each(decoys)('ignores %s (%s:%i)', (_what, file, line) => {
    const source = fs.readFileSync(path.join(appRoot, file), 'utf8').split('\n')[line - 1] ?? '';
    expect(source.toLowerCase()).toContain('users');
    expect(result.findings.filter((f) => f.file === file && f.line === line)).toEqual([]);
  });

  it('reports SQL it cannot parse as a warning with its location', () => {
    expect(result.warnings).toEqual([
      {
        file: 'lib/broken.ts',
        line: 6,
        column: 69,
        message: 'could not parse SQL: syntax error at or near "AND"',
      },
    ]);
  });

  it('looks for the tables it is given instead', async () => {
    const story = await scanForTables(['app/api', 'lib/courseAggregates.ts'], {
      cwd: appRoot,
      tables: ['Story'],
    });
    expect(story.findings.map(at)).toEqual([
      'app/api/stories/[id]/route.ts:11 story select',
      'app/api/stories/[id]/route.ts:24 story update',
      'app/api/stories/[id]/route.ts:35 story update',
      'lib/courseAggregates.ts:9 story select',
      'lib/courseAggregates.ts:13 story select',
      'lib/courseAggregates.ts:26 story select',
    ]);
    const qualified = await scanForTables(['lib/users.ts'], {
      cwd: appRoot,
      tables: ['auth.users'],
    });
    expect(qualified.findings.map(at)).toEqual(['lib/users.ts:18 users select']);
  });

  it('refuses a path that does not exist', async () => {
    await expect(scanForTables(['nope'], { cwd: appRoot, tables: LEGACY })).rejects.toThrow(
      'paths: nope: no such file or directory',
    );
  });

  it("passes on the project's own src/", async () => {
    const own = await scanForTables([], { cwd: repoRoot, tables: LEGACY });
    expect(own.findings).toEqual([]);
    expect(own.filesScanned).toBeGreaterThan(10);
  });
});

describe('tandem guard (CLI)', () => {
  const cli = path.join(repoRoot, 'bin/tandem.js');

  it('prints file:line:col table kind and exits 1 on findings', async () => {
    const err = await run(process.execPath, [cli, 'guard', 'lib/users.ts', 'scripts'], {
      cwd: appRoot,
    }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout.split('\n').filter(Boolean)).toEqual([
      'lib/users.ts:11:58 users select',
      'lib/users.ts:18:10 users select',
      'scripts/reset-sessions.ts:8:20 sessions truncate',
      'scripts/reset-sessions.ts:8:30 verification_token truncate',
      'scripts/reset-sessions.ts:9:23 accounts delete',
    ]);
  });

  it('prints JSON with --json, warnings on stderr, and exits 0 when nothing is found', async () => {
    const out = await run(
      process.execPath,
      [cli, 'guard', 'lib/stats.ts', 'lib/broken.ts', '--json'],
      { cwd: appRoot },
    );
    expect(JSON.parse(out.stdout)).toEqual([]);
    expect(out.stderr).toContain(
      'lib/broken.ts:6:69: warning: could not parse SQL: syntax error at or near "AND"',
    );
    const found = await run(process.execPath, [cli, 'guard', 'pages', '--json'], {
      cwd: appRoot,
    }).catch((e) => e);
    expect(found.code).toBe(1);
    expect(JSON.parse(found.stdout)).toEqual([
      {
        file: 'pages/api/legacy/logout.ts',
        line: 5,
        column: 41,
        table: 'sessions',
        statement: 'delete',
      },
    ]);
  });
});
