/**
 * A second app, unlike the story site: a mirror configuration built by hand
 * (a text key, a composite key with a foreign key into it, numeric, enum,
 * timestamptz and array columns) and a Convex folder holding the app's own
 * hand-written schema.ts (with a table of its own next to Tandem's) and a
 * function module of its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MirrorConfig } from '../../src/mapping/index.js';

export const LEDGER: MirrorConfig = {
  schema: 'ledger',
  tables: [
    {
      schema: 'ledger',
      name: 'account',
      columns: [
        { name: 'code', type: 'text', nullable: false },
        { name: 'holder', type: 'varchar', nullable: false },
        { name: 'balance', type: 'numeric', nullable: false },
        { name: 'opened_at', type: 'timestamptz', nullable: true },
        { name: 'tags', type: 'text', array: true, nullable: true },
      ],
      primaryKey: ['code'],
      foreignKeys: [],
    },
    {
      schema: 'ledger',
      name: 'entry',
      columns: [
        { name: 'account_code', type: 'text', nullable: false },
        { name: 'line', type: 'int4', nullable: false },
        { name: 'amount', type: 'numeric', nullable: false },
        {
          name: 'kind',
          type: 'enum',
          enumName: 'entry_kind',
          enumValues: ['debit', 'credit'],
          nullable: false,
        },
        { name: 'memo', type: 'text', nullable: true },
      ],
      primaryKey: ['account_code', 'line'],
      foreignKeys: [{ column: 'account_code', references: 'account' }],
    },
  ],
};

export const APP_SCHEMA = `import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
import { tandemTables } from './tandem/schemaFragment.js';

export default defineSchema({
  notes: defineTable({ text: v.string() }),
  ...tandemTables,
});
`;

export const APP_NOTES = `import { v } from 'convex/values';
import { mutation, query } from './_generated/server.js';

export const add = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert('notes', { text });
  },
});

export const count = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query('notes').collect()).length,
});
`;

/** A fresh app Convex folder with the app's own schema.ts and notes.ts (no _generated yet). */
export function makeAppConvexDir(
  files: Record<string, string> = { 'schema.ts': APP_SCHEMA, 'notes.ts': APP_NOTES },
): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-anyapp-')), 'convex');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export const accountRow = (code: string, overrides: Record<string, unknown> = {}) => ({
  code,
  holder: `Holder of ${code}`,
  balance: '1234567890.123456789',
  opened_at: new Date('2024-02-29T12:00:00.000Z'),
  tags: ['gold', null],
  ...overrides,
});

export const entryRow = (
  account: string,
  line: number,
  overrides: Record<string, unknown> = {},
) => ({
  account_code: account,
  line,
  amount: `${line}.50`,
  kind: line % 2 === 0 ? 'credit' : 'debit',
  memo: line === 1 ? null : `memo ${line}`,
  ...overrides,
});
