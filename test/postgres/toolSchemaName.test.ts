/**
 * The tool schema's name comes from the config: an awkward name (capitals, a
 * dash, a space, a double quote) works end to end for migrate, capture and the
 * relay's claims, nothing is created in a schema named `tandem`, and two tool
 * schemas in one database, each capturing its own application schema, do not
 * see each other's events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureStatus, installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { ConfigError } from '../../src/core/errors.js';
import { toolSchema, toolSchemaOf } from '../../src/core/toolSchema.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { migrate, schemaStatus } from '../../src/postgres/migrate.js';
import { claimTransactions } from '../../src/outbox/outboxStore.js';
import { LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

const AWKWARD = toolSchema('Mig-Tool "1"');
const SECOND = toolSchema('tool_b');

function ledgerIn(schema: string): MirrorConfig {
  return { schema, tables: LEDGER.tables.filter((t) => t.name === 'account').map((t) => ({ ...t, schema })) };
}

const accountDdl = (schema: string) => `
  CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.account (
    code text PRIMARY KEY, holder varchar NOT NULL, balance numeric NOT NULL,
    opened_at timestamptz, tags text[]
  );`;

describe('tool schema name from the config', () => {
  it('accepts any quotable name and refuses a bad one naming the key', () => {
    const config = parseProjectConfig({ toolSchema: 'Mig-Tool "1"' }, 'tandem.config.json');
    expect(toolSchemaOf(config)).toEqual({ name: 'Mig-Tool "1"', sql: '"Mig-Tool ""1"""' });
    expect(() => parseProjectConfig({ toolSchema: 'a$b' }, 'tandem.config.json')).toThrow(
      new ConfigError('tandem.config.json: toolSchema', '"a$b" contains "$", which Tandem does not allow in its schema name'),
    );
    expect(() => parseProjectConfig({ toolSchema: 'pg_tool' }, 'x.json')).toThrow(/^x\.json: toolSchema: .*reserved/);
    expect(() => parseProjectConfig({ toolSchema: '' }, 'x.json')).toThrow('x.json: toolSchema: must not be empty');
  });
});

describe.each(backends)('two tool schemas side by side [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  afterAll(() => db?.close());

  it('migrates, captures and claims in each schema alone, and nothing lands in "tandem"', async () => {
    await migrate(db.pool, AWKWARD);
    await migrate(db.pool, SECOND);
    expect((await schemaStatus(db.pool, AWKWARD)).pending).toEqual([]);
    expect((await schemaStatus(db.pool, SECOND)).pending).toEqual([]);
    await db.pool.query(accountDdl('ledger'));
    await db.pool.query(accountDdl('ledger2'));
    await installCapture(db.pool, { tool: AWKWARD, tables: ['account'], mirror: ledgerIn('ledger') });
    await installCapture(db.pool, { tool: SECOND, tables: ['account'], mirror: ledgerIn('ledger2') });
    expect((await captureStatus(db.pool, AWKWARD, ledgerIn('ledger'))).map((s) => [s.table, s.state])).toEqual([
      ['account', 'enabled'],
    ]);

    await db.pool.query(`INSERT INTO ledger.account (code, holder, balance) VALUES ('a1', 'Ann', 1.5)`);
    await db.pool.query(
      `INSERT INTO ledger2.account (code, holder, balance) VALUES ('b1', 'Bo', 2), ('b2', 'Cy', 3)`,
    );
    const keys = async (tool: typeof AWKWARD) => {
      const claim = await claimTransactions(db.pool, tool, { workerId: 'w', maxEvents: 10, leaseMs: 60_000 });
      return claim?.transactions.flatMap((t) => t.events.map((e) => `${e.table}:${e.key}`)) ?? [];
    };
    expect(await keys(AWKWARD)).toEqual(['account:a1']);
    expect(await keys(SECOND)).toEqual(['account:b1', 'account:b2']);

    const { rows } = await db.pool.query<{ nspname: string }>(
      `SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ('tandem', $1, $2) ORDER BY 1`,
      [AWKWARD.name, SECOND.name],
    );
    expect(rows.map((r) => r.nspname)).toEqual(['Mig-Tool "1"', 'tool_b']);
    // Each table carries only its own tool schema's trigger.
    const triggers = await db.pool.query<{ schema: string; tgname: string }>(
      `SELECT n.nspname AS schema, t.tgname FROM pg_catalog.pg_trigger t
         JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal ORDER BY 1, 2`,
    );
    expect(triggers.rows.map((r) => r.schema)).toEqual(['ledger', 'ledger2']);
    expect(new Set(triggers.rows.map((r) => r.tgname)).size).toBe(2);
  });
});
