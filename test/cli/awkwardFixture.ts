/**
 * An application whose schema and tool schema have awkward names (capitals, a
 * space, a dash, a double quote), driven through the CLI with a config file and
 * the local Convex stand-in, for the tests that prove every command quotes
 * them. Its enum and domain live in the awkward schema too, and it has tables
 * Tandem must skip: one named "Line Item", one with a column "Level", one
 * without a key.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { quoteIdentifier } from '../../src/mapping/tableConfig.js';
import { toolSchema } from '../../src/core/toolSchema.js';
import { CLI, startConvexLocal } from '../support/cliRun.js';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/db.js';

export const APP_SCHEMA = 'My App-"2"';
export const TOOL = toolSchema('Mig-Tool "1"');
/** The application schema as SQL: `"My App-""2"""`. */
export const S = quoteIdentifier(APP_SCHEMA);
export const MIRRORED = ['account', 'entry', 'reading'];
export const SKIPPED = [
  {
    table: 'Line Item',
    reason: 'table name "Line Item" is not a Convex table name ([a-z][a-z0-9_]*): rename the table, or list it in exclude',
  },
  {
    table: 'gauge',
    reason: 'column name "Level" is not a Convex field name ([a-z][a-z0-9_]*): rename the column, or list the table in exclude',
  },
  {
    table: 'note',
    reason: 'no primary key: name the columns of a unique NOT NULL index in keys.note to mirror it',
  },
];

const DDL = `
  CREATE SCHEMA ${S};
  CREATE TYPE ${S}.status AS ENUM ('open', 'closed');
  CREATE DOMAIN ${S}.amount AS numeric CHECK (VALUE >= 0);
  CREATE TABLE ${S}.account (
    id serial PRIMARY KEY, code text NOT NULL UNIQUE, status ${S}.status NOT NULL DEFAULT 'open',
    balance ${S}.amount NOT NULL DEFAULT 0, tags text[], opened_at timestamptz);
  CREATE TABLE ${S}.entry (
    account_id int NOT NULL REFERENCES ${S}.account (id), seq int NOT NULL, amount numeric NOT NULL,
    note text, PRIMARY KEY (account_id, seq));
  CREATE TABLE ${S}.reading (id int NOT NULL, taken_on date NOT NULL, value double precision,
    PRIMARY KEY (id, taken_on)) PARTITION BY RANGE (taken_on);
  CREATE TABLE ${S}.reading_2024 PARTITION OF ${S}.reading FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE ${S}.reading_2025 PARTITION OF ${S}.reading FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE ${S}."Line Item" (id int PRIMARY KEY, qty int);
  CREATE TABLE ${S}.gauge (id int PRIMARY KEY, "Level" int);
  CREATE TABLE ${S}.note (body text);`;

/** Rows in every mirrored table: 12 accounts, 24 entries, 10 readings across both partitions. */
export const SEED = `
  INSERT INTO ${S}.account (code, status, balance, tags, opened_at)
    SELECT 'acc' || g, (CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END)::${S}.status, g * 1.25,
           ARRAY['t' || g], timestamptz '2024-01-01' + g * interval '1 day'
      FROM generate_series(1, 12) g;
  INSERT INTO ${S}.entry SELECT 1 + (g % 12), g, g * 0.5, 'n' || g FROM generate_series(1, 24) g;
  INSERT INTO ${S}.reading SELECT g, date '2024-09-01' + g * 30, g / 3.0 FROM generate_series(1, 10) g;`;

export const ADMIN_KEY = 'awkward-admin-key-0123456789';

export interface AwkwardApp {
  db: TestDatabase;
  dir: string;
  /** `tandem <args>` in the app's folder; rejects with { code, stdout, stderr } on a non-zero exit. */
  tandem(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** The same, resolving with the exit code whatever it is. */
  tandemExit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts the local Convex stand-in on the folder codegen wrote (run codegen first). */
  startConvex(): Promise<void>;
  close(): Promise<void>;
}

const run = promisify(execFile);

/** A database with the awkward schema, and a folder with its config (schema and toolSchema set). */
export async function createAwkwardApp(backend: Backend): Promise<AwkwardApp> {
  const db = await createTestDatabase(backend);
  await db.pool.query(DDL);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-awkward-'));
  fs.writeFileSync(
    path.join(dir, 'tandem.config.json'),
    JSON.stringify({ schema: APP_SCHEMA, toolSchema: TOOL.name }),
  );
  let convex: ChildProcess | undefined;
  let convexUrl = '';
  const env = () => ({
    ...process.env,
    DATABASE_URL: db.url,
    CONVEX_URL: convexUrl,
    CONVEX_DEPLOY_KEY: ADMIN_KEY,
    TANDEM_HOME: path.join(dir, '.tandem'),
    TANDEM_LOG_LEVEL: 'silent',
    TANDEM_CONFIG: '',
  });
  const tandem = (args: string[]) =>
    run(process.execPath, [CLI, ...args], { cwd: dir, env: env(), maxBuffer: 16 * 1024 * 1024 });
  return {
    db,
    dir,
    tandem,
    tandemExit: (args) =>
      tandem(args).then(
        (ok) => ({ code: 0, ...ok }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          stdout: err.stdout,
          stderr: err.stderr,
        }),
      ),
    async startConvex() {
      const started = startConvexLocal({ cwd: dir, env: env(), adminKey: ADMIN_KEY, dataDir: path.join(dir, 'convex-data') });
      convex = started.child;
      convexUrl = await started.url;
    },
    async close() {
      convex?.kill('SIGKILL');
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The app with Tandem set up through the CLI: init, codegen, the stand-in,
 * capture install, the seed rows (one transaction per table, so that each
 * table is a write group of its own) relayed to Convex.
 */
export async function createCapturedAwkwardApp(backend: Backend): Promise<AwkwardApp> {
  const app = await createAwkwardApp(backend);
  await app.tandem(['init']);
  await app.tandem(['codegen', '--convex-dir', 'convex']);
  await app.startConvex();
  await app.tandem(['capture', 'install']);
  for (const statement of SEED.split(';').filter((s) => s.trim())) await app.db.pool.query(statement);
  await app.tandem(['relay', '--once']);
  return app;
}

/** Schemas of the database other than the system ones. */
export async function userSchemas(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ nspname: string }>(
    `SELECT nspname FROM pg_catalog.pg_namespace
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public') ORDER BY 1`,
  );
  return rows.map((r) => r.nspname);
}
