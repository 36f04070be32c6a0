import { describe, expect, it } from 'vitest';
import { renderConvexFiles, staleConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { columnValidator } from '../../src/convex/codegen/renderSchema.js';
import { listFunctionModules } from '../../src/convex/functionModules.js';
import schema from '../../examples/story-site/convex/schema.js';

import { STORY_SITE_CONVEX_DIR as convexDir } from '../../examples/story-site/src/storySiteRoot.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';

describe("the story site's Convex folder", () => {
  it('is one output of codegen: the committed kit, table config, fragment and _generated are fresh', async () => {
    const rendered = await renderConvexFiles(convexDir, STORY_SITE_TABLES);
    expect(staleConvexFiles(rendered)).toEqual([]);
    expect(rendered.obsolete).toEqual([]);
    expect(rendered.notes).toEqual([]);
    // schema.ts, parity.ts and checks/ are the story site's own: codegen never writes them.
    expect([...rendered.files.keys()].filter((f) => !f.startsWith('tandem'))).toEqual([
      '_generated/api.d.ts',
      '_generated/api.js',
      '_generated/server.d.ts',
      '_generated/server.js',
      '_generated/dataModel.d.ts',
    ]);
  });

  it('is rendered deterministically', async () => {
    const a = await renderConvexFiles(convexDir, STORY_SITE_TABLES);
    const b = await renderConvexFiles(convexDir, STORY_SITE_TABLES);
    expect([...a.files.entries()]).toEqual([...b.files.entries()]);
  });

  it('has the function modules the Convex bundler picks: the kit next to the app code', () => {
    expect(listFunctionModules(convexDir)).toEqual([
      'checks/invariants.ts',
      'parity.ts',
      'reads/courses.ts',
      'reads/lookups.ts',
      'reads/shared.ts',
      'reads/stats.ts',
      'reads/stories.ts',
      'tandem.ts',
      'tandem/apply.ts',
      'tandem/canonical.ts',
      'tandem/changeLog.ts',
      'tandem/exportRows.ts',
      'tandem/lookup.ts',
      'tandem/parity.ts',
      'tandem/ranges.ts',
      'tandem/refs.ts',
      'tandem/reverseSync.ts',
      'tandem/schemaFragment.ts',
      'tandem/sha256.ts',
      'tandem/tables.ts',
      'tandem/types.ts',
      'writes.ts',
      'writes/approvals.ts',
      'writes/courseAggregates.ts',
      'writes/courses.ts',
      'writes/keys.ts',
      'writes/languages.ts',
      'writes/lookups.ts',
      'writes/refusals.ts',
      'writes/rows.ts',
      'writes/rules.ts',
      'writes/stories.ts',
      'writes/storyDone.ts',
      'writes/users.ts',
    ]);
  });

  it('give every mirrored table, its companion and the tombstones a schema table with the expected indexes', () => {
    const tables = schema.tables as unknown as Record<
      string,
      { indexes: Array<{ indexDescriptor: string; fields: string[] }> }
    >;
    expect(Object.keys(tables)).toEqual([
      ...STORY_SITE_TABLES.tables.map((t) => t.name),
      'story_content',
      'tombstones',
      'tandem_changelog',
      'tandem_changelog_head',
      // The write paths' own (convex/writes/): reserved ids and the legacy users.
      'key_ranges',
      'legacy_users',
    ]);
    expect(tables.story!.indexes).toEqual([
      { indexDescriptor: 'by_pgKey', fields: ['pgKey'] },
      { indexDescriptor: 'by_image', fields: ['image'] },
      { indexDescriptor: 'by_course_id', fields: ['course_id'] },
      // The app's own, added in its schema.ts for the read paths (convex/reads/).
      { indexDescriptor: 'by_course_set', fields: ['course_id', 'set_id', 'set_index'] },
      { indexDescriptor: 'by_visibility', fields: ['public', 'deleted'] },
      { indexDescriptor: 'by_date_published', fields: ['date_published'] },
    ]);
    expect(tables.tombstones!.indexes).toEqual([
      { indexDescriptor: 'by_table_pgKey', fields: ['table', 'pgKey'] },
    ]);
    expect(tables.tandem_changelog!.indexes).toEqual([
      { indexDescriptor: 'by_seq', fields: ['seq'] },
    ]);
  });

  it('choose validators by Postgres type and nullability', () => {
    expect(columnValidator({ name: 'a', type: 'int8', nullable: false })).toBe('v.int64()');
    expect(columnValidator({ name: 'a', type: 'numeric', nullable: true })).toBe(
      'v.union(v.string(), v.null())',
    );
    expect(columnValidator({ name: 'a', type: 'varchar', nullable: false, array: true })).toBe(
      'v.array(v.union(v.string(), v.null()))',
    );
    expect(
      columnValidator({ name: 'a', type: 'enum', nullable: false, enumValues: ['x', 'y'] }),
    ).toBe('v.union(v.literal("x"), v.literal("y"))');
    expect(columnValidator({ name: 'a', type: 'jsonb', nullable: true })).toBe('v.any()');
  });
});
