import { beforeAll, describe, expect, it } from 'vitest';
import { pathRole } from '../../src/inventory/pathRole.js';
import { siteOf } from '../../src/inventory/writeSite.js';
import { loadSqlParser } from '../../src/sqlscan/parseSnippet.js';
import { scanText } from '../../src/sqlscan/scanFile.js';

beforeAll(() => loadSqlParser());

/** `site: table op line` for every write in the text. */
function writes(file: string, code: string): string[] {
  const scan = scanText(file, code);
  return scan.units.flatMap((unit) => {
    const site = siteOf(file, code, scan.sourceFile, unit.node);
    const label = [site.kind, site.name, site.method, site.route].filter(Boolean).join(' ');
    return unit.refs.flatMap((r) =>
      (r.write ?? []).map((op) => `${label}: ${r.dynamic ? '?' : r.table} ${op} ${r.line}`),
    );
  });
}

describe('what a path is in a Next.js app', () => {
  it.each([
    ['app/api/stories/[id]/route.ts', { kind: 'route-handler', route: '/api/stories/[id]' }],
    [
      'src/app/(admin)/@modal/courses/[...slug]/route.js',
      { kind: 'route-handler', route: '/courses/[...slug]' },
    ],
    ['app/(editor)/editor/page.tsx', { kind: 'page', route: '/editor' }],
    ['app/page.tsx', { kind: 'page', route: '/' }],
    ['pages/api/stories/index.ts', { kind: 'route-handler', route: '/api/stories' }],
    ['pages/courses/[id].tsx', { kind: 'page', route: '/courses/[id]' }],
    ['scripts/seed.ts', { kind: 'script' }],
    ['db/seed.sql', { kind: 'script' }],
    ['components/StoryList.tsx', { kind: 'component' }],
    ['app/editor/StoryForm.tsx', { kind: 'component' }],
    ['lib/stories.ts', { kind: 'module' }],
  ])('%s', (file, role) => {
    expect(pathRole(file)).toEqual(role);
  });
});

describe('write sites and operations', () => {
  it('names route handlers by their exported method, also when wrapped', () => {
    const code = [
      'export async function PUT() { await sql`update course set name = ${n}`; }',
      'export const PATCH = withAuth(async () => { await sql`update story set name = ${n}`; });',
      'async function helper() { await sql`delete from story_done where id = ${id}`; }',
    ].join('\n');
    expect(writes('app/api/course/route.ts', code)).toEqual([
      'route-handler PUT PUT /api/course: course update 1',
      'route-handler PATCH PATCH /api/course: story update 2',
      'route-handler helper /api/course: story_done delete 3',
    ]);
  });

  it('gives a helper of a route file the method of each exported handler that calls it', () => {
    const code = [
      'async function removeReads(id) { await sql`delete from story_done where story_id = ${id}`; }',
      'const cleanUp = async (id) => { await removeReads(id); };',
      'export async function DELETE(req) { await cleanUp(1); }',
      'export const POST = withAuth(removeReads);',
      'export async function GET() { return sql`select 1`; }',
      'async function unused() { await sql`update story set name = null`; }',
    ].join('\n');
    expect(writes('app/api/story/route.ts', code)).toEqual([
      'route-handler removeReads DELETE, POST /api/story: story_done delete 1',
      'route-handler unused /api/story: story update 6',
    ]);
    const scan = scanText('app/api/story/route.ts', code);
    const site = siteOf('app/api/story/route.ts', code, scan.sourceFile, scan.units[0]!.node);
    expect(site).toEqual({ kind: 'route-handler', name: 'removeReads', route: '/api/story', method: 'DELETE, POST', helperOf: 'DELETE, POST' });
  });

  it('finds server actions by their directive, in a page or a file', () => {
    const page = [
      'export default async function Page() {',
      '  async function publish() { "use server"; await sql`update story set public = true`; }',
      '  const remove = async () => { "use server"; await sql`delete from story where id = ${id}`; };',
      '  await sql`insert into story_done (story_id) values (${id})`;',
      '  return <form action={async () => { "use server"; await sql`truncate image`; }} />;',
      '}',
    ].join('\n');
    expect(writes('app/story/page.tsx', page)).toEqual([
      'server-action publish: story update 2',
      'server-action remove: story delete 3',
      'page Page /story: story_done insert 4',
      'server-action Page (inline, line 5): image truncate 5',
    ]);
    const file = [
      '"use server";',
      'export async function save() { await sql`insert into avatar (link) values (${l})`; }',
    ].join('\n');
    expect(writes('lib/actions.ts', file)).toEqual(['server-action save: avatar insert 2']);
  });

  it('treats a file with a shebang as a script and other files as module functions', () => {
    expect(
      writes('tools/fix.ts', '#!/usr/bin/env node\nawait sql`update course set count = 0`;'),
    ).toEqual(['script fix.ts: course update 2']);
    expect(
      writes(
        'lib/courses.ts',
        'export function reset() { return sql`update course set count = 0`; }',
      ),
    ).toEqual(['module reset: course update 1']);
  });

  it('reports every kind of write operation', () => {
    const code = [
      'sql`insert into language (name) values (${n}) on conflict do nothing`;',
      'sql`with d as (delete from story_approval where story_id = ${id} returning user_id) update course set count = 0`;',
      'sql`merge into speaker s using (select 1 as id) v on s.id = v.id when matched then delete`;',
      'sql`copy image from stdin`;',
      'sql`copy image to stdout`;',
      'sql`insert into ${sql(table)} ${sql(row)}`;',
    ].join('\n');
    expect(writes('lib/ops.ts', code)).toEqual([
      'module (top level): language upsert 1',
      'module (top level): story_approval delete 2',
      'module (top level): course update 2',
      'module (top level): speaker delete 3',
      'module (top level): image copy 4',
      'module (top level): ? insert 6',
    ]);
  });
});
