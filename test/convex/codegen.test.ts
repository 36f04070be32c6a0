import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  listFunctionModules,
  renderConvexFiles,
  staleConvexFiles,
} from '../../src/convex/codegen/convexFiles.js';
import { columnValidator } from '../../src/convex/codegen/renderSchema.js';
import schema from '../../convex/schema.js';

import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('generated Convex files', () => {
  it('are fresh: the committed files equal what scripts/convex-codegen.ts writes', async () => {
    expect(await staleConvexFiles(root, STORY_SITE_TABLES)).toEqual([]);
  });

  it('are deterministic', async () => {
    const a = await renderConvexFiles(root, STORY_SITE_TABLES);
    const b = await renderConvexFiles(root, STORY_SITE_TABLES);
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  it('list the function modules the way the Convex bundler picks them', () => {
    expect(listFunctionModules(path.join(root, 'convex'))).toEqual([
      'checks/canonical.ts',
      'checks/invariants.ts',
      'checks/ranges.ts',
      'checks/sha256.ts',
      'mirror/apply.ts',
      'mirror/exportRows.ts',
      'mirror/lookup.ts',
      'mirror/refs.ts',
      'mirror/tables.ts',
      'mirror/types.ts',
      'parity.ts',
      'tandem.ts',
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
    ]);
    expect(tables.story!.indexes).toEqual([
      { indexDescriptor: 'by_pgKey', fields: ['pgKey'] },
      { indexDescriptor: 'by_image', fields: ['image'] },
      { indexDescriptor: 'by_course_id', fields: ['course_id'] },
    ]);
    expect(tables.tombstones!.indexes).toEqual([
      { indexDescriptor: 'by_table_pgKey', fields: ['table', 'pgKey'] },
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
