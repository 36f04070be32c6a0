/**
 * A second application for the read-cutover tests, unlike the story site: a
 * small ledger (text key, composite key, numeric, enum, timestamptz, array)
 * discovered from its catalog, captured, relayed into the embedded Convex
 * target running the kit codegen wrote for it, and read through the kit's
 * lookup queries (rowsByKeys) on the Convex side and the same row image on
 * the Postgres side.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { renderConvexFiles, writeConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { ConvexTarget, ParityReader } from '../../src/convex/target.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import { requireTable, type MirrorConfig } from '../../src/mapping/index.js';
import { pgRowsByKeys } from '../../src/parity/pgRows.js';
import { migrate } from '../../src/postgres/migrate.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { makeAppConvexDir } from '../convex/anyAppFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export const LEDGER_DDL = `
CREATE SCHEMA ledger;
CREATE TYPE ledger.entry_kind AS ENUM ('debit', 'credit');
CREATE TABLE ledger.account (
  code text PRIMARY KEY, holder varchar(80) NOT NULL, balance numeric NOT NULL,
  opened_at timestamptz, tags text[]
);
CREATE TABLE ledger.entry (
  account_code text NOT NULL REFERENCES ledger.account (code), line int NOT NULL,
  amount numeric NOT NULL, kind ledger.entry_kind NOT NULL, memo text,
  PRIMARY KEY (account_code, line)
);
`;

export const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `ACC-${String(i + 1).padStart(2, '0')}`);

export interface LedgerApp {
  mirror: MirrorConfig;
  target: ConvexTarget & ParityReader;
  relay: Relay;
  /** Accounts by key, as the application would read them from Postgres. */
  pgAccounts(keys: readonly string[]): Promise<Record<string, unknown>>;
  /** The same read from Convex. */
  convexAccounts(keys: readonly string[]): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface LedgerOptions {
  /** The Convex side for the app's Convex folder (default: the embedded target). */
  target?: (convexDir: string) => Promise<ConvexTarget & ParityReader>;
}

export async function startLedgerApp(pool: pg.Pool, options: LedgerOptions = {}): Promise<LedgerApp> {
  await pool.query(LEDGER_DDL);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  const { mirror } = await discoverMirror(pool, parseProjectConfig({ schema: 'ledger' }, null));
  await installCapture(pool, { tool: DEFAULT_TOOL_SCHEMA, tables: mirror.tables.map((t) => t.name), mirror });
  await pool.query(
    `INSERT INTO ledger.account SELECT code, 'Holder ' || code, 100.5, timestamptz '2024-02-29T12:00:00Z', ARRAY['gold']
       FROM unnest($1::text[]) AS code`,
    [ACCOUNTS],
  );
  await pool.query(
    `INSERT INTO ledger.entry SELECT code, 1, 10, 'debit', NULL FROM unnest($1::text[]) AS code`,
    [ACCOUNTS],
  );
  const convexDir = makeAppConvexDir();
  writeConvexFiles(await renderConvexFiles(convexDir, mirror));
  const target = options.target ? await options.target(convexDir) : new EmbeddedConvexTarget({ convexDir });
  const relay = new Relay(
    { tool: DEFAULT_TOOL_SCHEMA, pool, target, mapper: mirrorMapper(mirror), metrics: createRelayMetrics(), log: silentLogger },
    { idleMs: 10, leaseMs: 5_000, retry: { budget: 12, baseDelayMs: 5, maxDelayMs: 100 }, breaker: { failureThreshold: 8, cooldownMs: 50 } },
  );
  await relay.drain();
  const account = requireTable(mirror, 'account');
  const keyed = (rows: Iterable<{ key: string; columns: Record<string, unknown> }>) =>
    Object.fromEntries([...rows].map((r) => [r.key, r.columns]));
  return {
    mirror,
    target,
    relay,
    pgAccounts: async (keys) => keyed((await pgRowsByKeys(pool, account, keys)).values()),
    convexAccounts: async (keys) => keyed(await target.rowsByKeys('account', [...keys])),
    async close() {
      await relay.stop();
      await target.close?.();
      fs.rmSync(path.dirname(convexDir), { recursive: true, force: true });
    },
  };
}
