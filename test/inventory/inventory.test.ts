import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/inventory/buildInventory.js';
import { inventoryMarkdown, planOrder } from '../../src/inventory/inventoryMarkdown.js';
import { STORY_SITE_CONFIG } from '../support/storySiteMirror.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const appRoot = path.join(repoRoot, 'test/fixtures/nextapp');
const run = promisify(execFile);

const inventory = await buildInventory([], { cwd: appRoot });

describe('inventory of a Next.js app', () => {
  it('lists every write site with its kind, route, method and writes', () => {
    expect(inventory.sites).toEqual([
      {
        file: 'app/(editor)/editor/story/[id]/page.tsx',
        kind: 'server-action',
        name: 'toggleApproval',
        writes: [
          { table: 'story_approval', op: 'delete', line: 17 },
          { table: 'story_approval', op: 'insert', line: 21 },
          { table: 'story', op: 'update', line: 26 },
        ],
      },
      {
        file: 'app/actions/course.ts',
        kind: 'server-action',
        name: 'saveCourse',
        writes: [{ table: 'course', op: 'upsert', line: 9 }],
      },
      {
        file: 'app/actions/course.ts',
        kind: 'server-action',
        name: 'renameLanguage',
        writes: [
          { table: 'language', op: 'update', line: 21 },
          { table: 'course', op: 'update', line: 22 },
          { table: 'course', op: 'update', line: 23 },
        ],
      },
      {
        file: 'app/actions/course.ts',
        kind: 'server-action',
        name: 'saveLocalization',
        writes: [{ table: 'localization', op: 'upsert', line: 29 }],
      },
      {
        file: 'app/actions/course.ts',
        kind: 'server-action',
        name: 'setAvatarSpeaker',
        writes: [{ table: 'avatar_mapping', op: 'upsert', line: 36 }],
      },
      {
        file: 'app/api/stories/[id]/done/route.ts',
        kind: 'route-handler',
        name: 'POST',
        route: '/api/stories/[id]/done',
        method: 'POST',
        writes: [{ table: 'story_done', op: 'insert', line: 9 }],
      },
      {
        file: 'app/api/stories/[id]/route.ts',
        kind: 'route-handler',
        name: 'POST',
        route: '/api/stories/[id]',
        method: 'POST',
        writes: [{ table: 'story', op: 'update', line: 24 }],
      },
      {
        file: 'app/api/stories/[id]/route.ts',
        kind: 'route-handler',
        name: 'DELETE',
        route: '/api/stories/[id]',
        method: 'DELETE',
        writes: [{ table: 'story', op: 'update', line: 35 }],
      },
      {
        file: 'components/ReadTracker.tsx',
        kind: 'component',
        name: 'ReadTracker',
        writes: [{ table: 'story_done', op: 'insert', line: 6 }],
      },
      {
        file: 'db/legacy.sql',
        kind: 'script',
        name: 'legacy.sql',
        writes: [{ table: 'language', op: 'upsert', line: 20 }],
      },
      {
        file: 'lib/courseAggregates.ts',
        kind: 'module',
        name: 'refreshCourseCounts',
        writes: [{ table: 'course', op: 'update', line: 7 }],
      },
      {
        file: 'pages/api/legacy/logout.ts',
        kind: 'route-handler',
        name: 'handler',
        route: '/api/legacy/logout',
        writes: [{ table: 'sessions', op: 'delete', line: 5 }],
      },
      {
        file: 'scripts/reset-sessions.ts',
        kind: 'script',
        name: 'reset-sessions.ts',
        writes: [
          { table: 'sessions', op: 'truncate', line: 8 },
          { table: 'verification_token', op: 'truncate', line: 8 },
          { table: 'accounts', op: 'delete', line: 9 },
          { table: 'story_done', op: 'copy', line: 11 },
        ],
      },
    ]);
  });

  it('leaves out reads, and pages and modules that only read', () => {
    const files = new Set(inventory.sites.map((s) => s.file));
    for (const readOnly of [
      'lib/users.ts',
      'lib/stats.ts',
      'lib/search.ts',
      'app/admin/users/page.tsx',
      'components/UserBadge.tsx',
    ]) {
      expect(files.has(readOnly), readOnly).toBe(false);
    }
    const refreshContributors = inventory.sites.find((s) => s.name === 'refreshContributors');
    expect(refreshContributors).toBeUndefined();
  });

  it('carries the scan warnings along', () => {
    expect(inventory.warnings).toEqual([
      {
        file: 'lib/broken.ts',
        line: 6,
        column: 69,
        message: 'could not parse SQL: syntax error at or near "AND"',
      },
    ]);
  });
});

describe('inventory Markdown', () => {
  const markdown = inventoryMarkdown(inventory, STORY_SITE_CONFIG.include ?? []);
  const section = (title: string): string =>
    markdown.split(`## ${title}`)[1]?.split(/\n## /)[0] ?? '';

  it('lists tables in plan order, then the others alphabetically', () => {
    const tables = [...section('Tables (plan order)').matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(tables).toEqual([
      'language',
      'localization',
      'avatar_mapping',
      'course',
      'story',
      'story_approval',
      'story_done',
      'accounts',
      'sessions',
      'verification_token',
    ]);
    expect(
      planOrder(['zeta', '(dynamic)', 'story_done', 'alpha', 'language'], STORY_SITE_CONFIG.include!),
    ).toEqual([
      'language',
      'story_done',
      'alpha',
      'zeta',
      '(dynamic)',
    ]);
  });

  it('lists, per table, every site that writes it', () => {
    const storyDone = section('Tables (plan order)')
      .split('### story_done\n')[1]
      ?.split('\n### ')[0];
    expect(storyDone?.trim().split('\n').slice(2)).toEqual([
      '| POST /api/stories/[id]/done | route handler | insert | `app/api/stories/[id]/done/route.ts:9` |',
      '| ReadTracker | component | insert | `components/ReadTracker.tsx:6` |',
      '| reset-sessions.ts | script | copy | `scripts/reset-sessions.ts:11` |',
    ]);
  });

  it('groups writes under each site with its kind and file', () => {
    const sites = section('Write sites');
    expect(sites).toContain(
      [
        '### DELETE /api/stories/[id]',
        '',
        'route handler in `app/api/stories/[id]/route.ts`',
        '',
        '| Line | Operation | Table |',
        '| ---: | --- | --- |',
        '| 35 | update | story |',
      ].join('\n'),
    );
    expect([...sites.matchAll(/^### (.+)$/gm)].map((m) => m[1])).toHaveLength(
      inventory.sites.length,
    );
    expect(section('Not checked')).toContain('lib/broken.ts:6:69: warning: could not parse SQL');
  });
});

describe('tandem inventory (CLI)', () => {
  it('prints JSON with --json and writes the Markdown with --out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-inventory-'));
    const out = path.join(dir, 'docs/migration-inventory.md');
    const result = await run(
      process.execPath,
      [
        path.join(repoRoot, 'bin/tandem.js'),
        'inventory',
        'app/api',
        'scripts',
        '--json',
        '--out',
        out,
      ],
      {
        cwd: appRoot,
      },
    );
    const json = JSON.parse(result.stdout) as {
      sites: Array<{ file: string; name: string; writes: unknown[] }>;
    };
    expect(json.sites.map((s) => `${s.file} ${s.name} ${s.writes.length}`)).toEqual([
      'app/api/stories/[id]/done/route.ts POST 1',
      'app/api/stories/[id]/route.ts POST 1',
      'app/api/stories/[id]/route.ts DELETE 1',
      'scripts/reset-sessions.ts reset-sessions.ts 4',
    ]);
    const written = fs.readFileSync(out, 'utf8');
    expect(written.startsWith('# Migration inventory: SQL write sites\n')).toBe(true);
    expect(written).toContain(
      '| reset-sessions.ts | script | truncate | `scripts/reset-sessions.ts:8` |',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
