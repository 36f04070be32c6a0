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
import { DEFAULT_TOOL_SCHEMA, type ToolSchema } from '../../src/core/toolSchema.js';
import { quoteIdentifier, type MirrorConfig } from '../../src/mapping/index.js';

/** The ledger's DDL in the schema `schemaSql` (a quoted identifier or a plain name). */
export const ledgerDdl = (schemaSql: string) => `
CREATE SCHEMA ${schemaSql};
CREATE TYPE ${schemaSql}.entry_kind AS ENUM ('debit', 'credit');
CREATE TABLE ${schemaSql}.account (
  code text PRIMARY KEY,
  holder varchar NOT NULL,
  balance numeric NOT NULL,
  opened_at timestamptz,
  tags text[]
);
CREATE TABLE ${schemaSql}.entry (
  account_code text NOT NULL REFERENCES ${schemaSql}.account (code),
  line integer NOT NULL,
  amount numeric NOT NULL,
  kind ${schemaSql}.entry_kind NOT NULL,
  memo text,
  PRIMARY KEY (account_code, line)
);`;

export const LEDGER_DDL = ledgerDdl('ledger');

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

/** The ledger's mirror config with its tables in `schema` instead of `ledger`. */
export function ledgerIn(schema: string): MirrorConfig {
  return { schema, tables: LEDGER.tables.map((t) => ({ ...t, schema })) };
}

/**
 * The ledger in Postgres and in the embedded Convex target; by default in
 * schema `ledger` with the default tool schema, or in the schema and tool
 * schema given.
 */
export async function openLedger(
  backend: Backend,
  names: { schema?: string; tool?: ToolSchema } = {},
): Promise<LedgerStack> {
  const schema = names.schema ?? 'ledger';
  const tool = names.tool ?? DEFAULT_TOOL_SCHEMA;
  const convexDir = makeAppConvexDir({
    'schema.ts': APP_SCHEMA,
    'notes.ts': APP_NOTES,
    'ledger.ts': LEDGER_WRITES,
  });
  writeConvexFiles(await renderConvexFiles(convexDir, LEDGER));
  const db = await createTestDatabase(backend);
  await migrate(db.pool, tool);
  await db.pool.query(ledgerDdl(quoteIdentifier(schema)));
  await installCapture(db.pool, { tool, tables: ['account', 'entry'], mirror: ledgerIn(schema) });
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

/** A fresh database with Tandem's schema `tool`, the ledger in schema `ledger` and capture installed on it. */
export async function createLedgerDatabase(backend: Backend, tool: ToolSchema): Promise<TestDatabase> {
  const db = await createTestDatabase(backend);
  await migrate(db.pool, tool);
  await db.pool.query(LEDGER_DDL);
  await installCapture(db.pool, { tool, tables: ['account', 'entry'], mirror: LEDGER });
  return db;
}
