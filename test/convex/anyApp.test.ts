/**
 * Tandem's Convex side on a second app: codegen writes the kit into the app's
 * own Convex folder (next to its hand-written schema.ts and functions), and
 * the embedded target and the local stand-in load that folder at run time:
 * applyBatch then `tandem:exportPage` gives the rows back under their Postgres
 * column names, parity reads them, and the app's own table and functions work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderConvexFiles, writeConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { loadConvexDir } from '../../src/convex/loadConvexDir.js';
import type { TransactionBatch } from '../../src/core/changes.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { silentLogger } from '../../src/log.js';
import { canonicalHash, mapRow, type MirrorConfig } from '../../src/mapping/index.js';
import { accountRow, entryRow, LEDGER, makeAppConvexDir } from './anyAppFixture.js';

function upsert(
  config: MirrorConfig,
  table: string,
  row: Record<string, unknown>,
  version: number,
) {
  const mapped = mapRow(table, row, config);
  return { table, key: mapped.key, version, op: 'upsert' as const, doc: mapped.columns };
}

const ROWS = {
  account: [accountRow('ACC-2'), accountRow('ACC-1', { opened_at: null, tags: null })],
  entry: [entryRow('ACC-1', 1), entryRow('ACC-1', 2), entryRow('ACC-2', 1)],
};

const BATCH: TransactionBatch[] = [
  {
    txid: '100',
    changes: [
      ...ROWS.entry.map((row, i) => upsert(LEDGER, 'entry', row, 10 + i)),
      ...ROWS.account.map((row, i) => upsert(LEDGER, 'account', row, 20 + i)),
    ],
  },
];

/** Every row as exportPage should return it: key order, Postgres column names, mapped values. */
function expectedExport(table: 'account' | 'entry') {
  return ROWS[table]
    .map((row) => mapRow(table, row, LEDGER))
    .map(({ key, columns }) => ({ key, columns }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

let convexDir: string;

beforeAll(async () => {
  convexDir = makeAppConvexDir();
  writeConvexFiles(await renderConvexFiles(convexDir, LEDGER));
});

describe('codegen into a second app', () => {
  it("writes the kit, the table config, the fragment and _generated, and keeps the app's schema.ts", async () => {
    const rendered = await renderConvexFiles(convexDir, LEDGER);
    expect(rendered.notes).toEqual([]);
    expect([...rendered.files.keys()].filter((f) => !f.startsWith('tandem/'))).toEqual([
      'tandem.ts',
      '_generated/api.d.ts',
      '_generated/api.js',
      '_generated/server.d.ts',
      '_generated/server.js',
      '_generated/dataModel.d.ts',
    ]);
    expect(fs.readFileSync(path.join(convexDir, 'schema.ts'), 'utf8')).toContain(
      'notes: defineTable',
    );
    expect(fs.readFileSync(path.join(convexDir, '_generated/api.d.ts'), 'utf8')).toContain(
      "import type * as notes from '../notes.js';",
    );
    expect(fs.readFileSync(path.join(convexDir, 'tandem/schemaFragment.ts'), 'utf8')).toContain(
      "kind: v.union(v.literal('debit'), v.literal('credit')),",
    );
  });

  it("gives a schema with the app's own table next to Tandem's", async () => {
    const { schema } = await loadConvexDir(convexDir);
    expect(Object.keys(schema.tables)).toEqual([
      'notes',
      'account',
      'entry',
      'tombstones',
      'tandem_changelog',
      'tandem_changelog_head',
    ]);
  });
});

describe('the embedded target on the second app', () => {
  it('applies a batch; tandem:exportPage returns the documents under their Postgres column names', async () => {
    const target = new EmbeddedConvexTarget({ convexDir });
    expect(await target.applyBatch(BATCH)).toEqual({ applied: 5, skipped: 0 });
    expect(await target.applyBatch(BATCH)).toEqual({ applied: 0, skipped: 5 });

    const entries = await target.exportPage('entry', null, 2);
    expect(entries.isDone).toBe(false);
    const rest = await target.exportPage('entry', entries.continueCursor, 2);
    expect(rest.isDone).toBe(true);
    expect([...entries.page, ...rest.page].map(({ key, columns }) => ({ key, columns }))).toEqual(
      expectedExport('entry'),
    );
    expect(Object.keys(entries.page[0]!.columns).sort()).toEqual([
      'account_code',
      'amount',
      'kind',
      'line',
      'memo',
    ]);
    const accounts = await target.exportPage('account', null, 10);
    expect(accounts.page.map(({ key, columns }) => ({ key, columns }))).toEqual(
      expectedExport('account'),
    );
    expect(accounts.page.map((r) => r.version)).toEqual([21, 20]);

    // The composite-key children point at their text-keyed parent.
    const docs = await target.documents('entry');
    const parents = await target.documents('account');
    const acc1 = parents.find((d) => d.code === 'ACC-1')!._id;
    expect(docs.filter((d) => d.account_code === 'ACC-1').map((d) => d.ref_account_code)).toEqual([
      acc1,
      acc1,
    ]);
  });

  it('serves the parity queries (tandem/parity:*) with the canonical hashes of the Node side', async () => {
    const target = new EmbeddedConvexTarget({ convexDir });
    await target.applyBatch(BATCH);
    const digest = await target.rangeDigest('entry', { after: null, upTo: null }, null, 100);
    expect(digest).toMatchObject({ count: 3, continueCursor: null });
    const keys = expectedExport('entry').map((r) => r.key);
    const rows = await target.rowsByKeys('entry', [...keys, 'no-such-key']);
    expect(rows.map((r) => [r.key, r.hash])).toEqual(
      expectedExport('entry').map((r) => [r.key, canonicalHash('entry', r.columns, LEDGER)]),
    );
    expect(await target.countRows('account', null, 100)).toEqual({
      count: 2,
      continueCursor: null,
    });
  });

  it("keeps the app's own table: documents are written and read through the same backend", async () => {
    const target = new EmbeddedConvexTarget({ convexDir });
    await target.run(async (ctx) => {
      await ctx.db.insert('notes', { text: 'hello' });
    });
    expect((await target.documents('notes')).map((d) => d.text)).toEqual(['hello']);
    await expect(
      target.run(async (ctx) => {
        await ctx.db.insert('notes', { text: 1 });
      }),
    ).rejects.toThrow(/Validator error/);
  });
});

describe('convex-local serving the second app', () => {
  let server: LocalConvex;
  let url: string;
  const adminKey = 'tandem-local|anyapp-test-key';

  beforeAll(async () => {
    server = await createLocalConvex({
      convexDir,
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-anyapp-local-')),
      adminKey,
      logger: silentLogger,
    });
    url = await server.listen(0, '127.0.0.1');
  });
  afterAll(async () => server?.close());

  async function call(kind: 'query' | 'mutation', fn: string, args: Record<string, unknown>) {
    const response = await fetch(`${url}/api/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Convex ${adminKey}` },
      body: JSON.stringify({ path: fn, args, format: 'json' }),
    });
    return (await response.json()) as { status: string; value: unknown };
  }

  it("runs applyBatch and tandem:exportPage over Convex's HTTP API", async () => {
    const target = new HttpConvexTarget({ url, adminKey });
    expect(await target.applyBatch(BATCH)).toEqual({ applied: 5, skipped: 0 });
    const page = await target.exportPage('entry', null, 10);
    expect(page.page.map(({ key, columns }) => ({ key, columns }))).toEqual(
      expectedExport('entry'),
    );
    await target.close();
  });

  it("runs the app's own functions", async () => {
    expect(await call('mutation', 'notes:add', { text: 'one' })).toMatchObject({
      status: 'success',
    });
    expect(await call('query', 'notes:count', {})).toEqual({
      status: 'success',
      value: 1,
      logLines: [],
    });
  });
});
