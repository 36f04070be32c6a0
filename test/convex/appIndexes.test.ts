/**
 * An app adds indexes of its own to mirrored tables in its schema.ts, with
 * Convex's `.index()` on the fragment's table definitions (docs/convex.md):
 * on a second app (the ledger), codegen leaves that schema.ts alone, a second
 * codegen run finds nothing stale, the kit's own indexes are kept, and the
 * app's query reads through the new index after the mirror's apply.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  renderConvexFiles,
  staleConvexFiles,
  writeConvexFiles,
} from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { loadConvexDir } from '../../src/convex/loadConvexDir.js';
import { mapRow } from '../../src/mapping/index.js';
import { entryRow, LEDGER, makeAppConvexDir } from './anyAppFixture.js';

const SCHEMA_WITH_INDEXES = `import { defineSchema } from 'convex/server';
import { tandemTables } from './tandem/schemaFragment.js';

export default defineSchema({
  ...tandemTables,
  entry: tandemTables.entry.index('by_kind_amount', ['kind', 'amount']),
});
`;

const ENTRIES_BY_KIND = `import { v } from 'convex/values';
import { internalQuery } from './_generated/server.js';

export const lines = internalQuery({
  args: { kind: v.string() },
  handler: async (ctx, { kind }) =>
    (await ctx.db.query('entry').withIndex('by_kind_amount', (q) => q.eq('kind', kind as 'debit')).collect())
      .map((e) => [e.account_code, e.line]),
});
`;

describe("an app's own indexes on mirrored tables", () => {
  let convexDir: string;

  beforeAll(async () => {
    convexDir = makeAppConvexDir({ 'schema.ts': SCHEMA_WITH_INDEXES, 'entries.ts': ENTRIES_BY_KIND });
    writeConvexFiles(await renderConvexFiles(convexDir, LEDGER));
  });

  it('survive codegen: schema.ts untouched, nothing stale on a second run', async () => {
    expect(fs.readFileSync(path.join(convexDir, 'schema.ts'), 'utf8')).toBe(SCHEMA_WITH_INDEXES);
    const again = await renderConvexFiles(convexDir, LEDGER);
    expect(staleConvexFiles(again)).toEqual([]);
    expect(again.notes).toEqual([]);
  });

  it("sit after the kit's indexes in the deployed schema", async () => {
    const { schema } = await loadConvexDir(convexDir);
    const entry = (schema.tables as unknown as Record<string, { indexes: Array<{ indexDescriptor: string }> }>).entry!;
    expect(entry.indexes.map((i) => i.indexDescriptor)).toEqual(['by_pgKey', 'by_account_code', 'by_kind_amount']);
  });

  it('serve the app query after the mirror applied rows', async () => {
    const target = new EmbeddedConvexTarget({ convexDir });
    const rows = [entryRow('ACC-1', 1, { amount: '9' }), entryRow('ACC-1', 2), entryRow('ACC-2', 3, { amount: '1' })];
    const changes = rows.map((row, i) => {
      const mapped = mapRow('entry', row, LEDGER);
      return { table: 'entry', key: mapped.key, version: i + 1, op: 'upsert' as const, doc: mapped.columns };
    });
    expect(await target.applyBatch([{ txid: '1', changes }])).toEqual({ applied: 3, skipped: 0 });
    // Debits (odd lines) in amount order: '1' before '9'.
    expect(await target.query('entries:lines', { kind: 'debit' })).toEqual([
      ['ACC-2', 3],
      ['ACC-1', 1],
    ]);
  });
});
