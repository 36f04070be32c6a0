/**
 * The second app for reverse sync: the ledger (test/convex/anyAppFixture.ts:
 * text key, composite key with a foreign key, numeric, enum, timestamptz and
 * text[] columns) in Postgres schema `ledger`, capture installed, and its
 * Convex folder with the kit plus the app's own write functions, which write
 * through withChangeLog like any app whose writes moved to Convex.
 */
import { installCapture } from '../../src/capture/index.js';
import { renderConvexFiles, writeConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { migrate } from '../../src/postgres/migrate.js';
import { APP_NOTES, APP_SCHEMA, LEDGER, makeAppConvexDir } from '../convex/anyAppFixture.js';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export const LEDGER_DDL = `
CREATE SCHEMA ledger;
CREATE TYPE ledger.entry_kind AS ENUM ('debit', 'credit');
CREATE TABLE ledger.account (
  code text PRIMARY KEY,
  holder varchar NOT NULL,
  balance numeric NOT NULL,
  opened_at timestamptz,
  tags text[]
);
CREATE TABLE ledger.entry (
  account_code text NOT NULL REFERENCES ledger.account (code),
  line integer NOT NULL,
  amount numeric NOT NULL,
  kind ledger.entry_kind NOT NULL,
  memo text,
  PRIMARY KEY (account_code, line)
);`;

/** The app's write paths, in Convex: every write goes through withChangeLog for the cut-over tables. */
export const LEDGER_WRITES = `import { v } from 'convex/values';
import { mutation } from './_generated/server.js';
import { withChangeLog } from './tandem/changeLog.js';

export const open = mutation({
  args: { tables: v.array(v.string()), row: v.any() },
  handler: async (ctx, { tables, row }) => {
    await withChangeLog(ctx.db, { tables }).insert('account', row);
  },
});

/** Posts an entry and moves the balance, in one mutation; fail: true throws after both writes. */
export const post = mutation({
  args: { tables: v.array(v.string()), entry: v.any(), balance: v.string(), fail: v.optional(v.boolean()) },
  handler: async (ctx, { tables, entry, balance, fail }) => {
    const db = withChangeLog(ctx.db, { tables });
    await db.insert('entry', entry);
    const account = await db.query('account').withIndex('by_pgKey', (q) => q.eq('pgKey', entry.account_code)).unique();
    if (!account) throw new Error('no account ' + entry.account_code);
    await db.patch(account._id, { balance });
    if (fail) throw new Error('planned failure after the writes');
  },
});

export const remove = mutation({
  args: { tables: v.array(v.string()), table: v.string(), pgKey: v.string() },
  handler: async (ctx, { tables, table, pgKey }) => {
    const db = withChangeLog(ctx.db, { tables });
    const doc = await db.query(table).withIndex('by_pgKey', (q) => q.eq('pgKey', pgKey)).unique();
    if (doc) await db.delete(doc._id);
  },
});
`;

export interface LedgerStack {
  db: TestDatabase;
  target: EmbeddedConvexTarget;
  close(): Promise<void>;
}

export async function openLedger(backend: Backend): Promise<LedgerStack> {
  const convexDir = makeAppConvexDir({
    'schema.ts': APP_SCHEMA,
    'notes.ts': APP_NOTES,
    'ledger.ts': LEDGER_WRITES,
  });
  writeConvexFiles(await renderConvexFiles(convexDir, LEDGER));
  const db = await createTestDatabase(backend);
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await db.pool.query(LEDGER_DDL);
  await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['account', 'entry'], mirror: LEDGER });
  const target = new EmbeddedConvexTarget({ convexDir });
  return {
    db,
    target,
    async close() {
      await target.close();
      await db.close();
    },
  };
}
