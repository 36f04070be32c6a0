/**
 * Awkward schema names through the data path, driven through the CLI: the
 * application schema `My App-"2"` (its enum and domain in it too) and the tool
 * schema `Mig-Tool "1"`, both from the config. plan (skipping the tables whose
 * names Convex cannot take) → init → codegen → the local stand-in → capture →
 * backfill → relay → full parity with zero drift → drift made behind capture
 * found exactly (the alert snapshot reads it per table) → repair → zero drift.
 * Nothing is created in a schema named `tandem`, and the triggers on the
 * application's tables are the tool schema's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSnapshotSource } from '../../src/alerts/snapshot.js';
import { captureTriggerName } from '../../src/capture/catalog.js';
import { availableBackends } from '../support/db.js';
import { APP_SCHEMA, createAwkwardApp, MIRRORED, S, SEED, SKIPPED, TOOL, userSchemas, type AwkwardApp } from './awkwardFixture.js';

const backends = await availableBackends();

interface TableReport {
  pgRows: number;
  convexRows: number;
  missing: unknown[];
  extra: unknown[];
  different: unknown[];
  pending: unknown[];
  clean: boolean;
}

describe.each(backends)('awkward schema names through the CLI data path [%s]', (backend) => {
  let app: AwkwardApp;
  const sql = (text: string) => app.db.pool.query(text);
  const parity = async () => {
    const { code, stdout } = await app.tandemExit(['parity', '--mode', 'full', '--json']);
    return { code, tables: (JSON.parse(stdout) as { tables: Record<string, TableReport> }).tables };
  };
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        MIRRORED.map(async (t) => [t, (await sql(`SELECT count(*)::int AS n FROM ${S}.${t}`)).rows[0].n]),
      ),
    );

  beforeAll(async () => {
    app = await createAwkwardApp(backend);
  }, 120_000);
  afterAll(() => app?.close());

  it('plans the keyed tables of the awkward schema, skips names Convex cannot take, and init creates only the tool schema', async () => {
    const plan = JSON.parse((await app.tandem(['plan', '--json'])).stdout);
    expect(plan.order).toEqual(MIRRORED);
    expect(plan.skipped).toEqual(SKIPPED);
    // The header names the schema as SQL writes it.
    expect((await app.tandem(['plan'])).stdout.split('\n')[0]).toBe(`Migration plan for schema ${S}: 3 tables in 1 phases`);
    await app.tandem(['init']);
    expect(await userSchemas(app.db)).toEqual([TOOL.name, APP_SCHEMA]);
  });

  it('captures, backfills and relays: full parity finds zero drift', async () => {
    await app.tandem(['codegen', '--convex-dir', 'convex']);
    await app.startConvex();
    expect((await app.tandem(['capture', 'install'])).stdout).toBe(
      [
        'installed  account  (key id)',
        'installed  entry  (key account_id,seq)',
        'installed  reading  (key id,taken_on)',
        ...SKIPPED.map((s) => `skipped    ${s.table}  (${s.reason})`),
        '',
      ].join('\n'),
    );
    await sql(SEED);
    await app.tandem(['backfill']);
    // Live writes after the copy: an update, a partition move, a delete, an insert.
    await sql(`UPDATE ${S}.account SET balance = balance + 1, tags = tags || '{x}' WHERE id <= 3`);
    await sql(`UPDATE ${S}.reading SET taken_on = date '2025-02-01' WHERE id = 2`);
    await sql(`DELETE FROM ${S}.entry WHERE account_id = 5`);
    await sql(`INSERT INTO ${S}.entry VALUES (1, 100, 9.75, 'late')`);
    await app.tandem(['relay', '--once']);
    const { code, tables } = await parity();
    expect(code).toBe(0);
    const rows = await counts();
    expect(rows).toEqual({ account: 12, entry: 23, reading: 10 });
    for (const t of MIRRORED)
      expect([t, tables[t]!.pgRows, tables[t]!.convexRows, tables[t]!.clean]).toEqual([t, rows[t], rows[t], true]);
  }, 120_000);

  it('finds drift made behind capture exactly, and repair heals it', async () => {
    const client = await app.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE ${S}.account SET status = 'closed' WHERE id = 5`);
      await client.query(`DELETE FROM ${S}.entry WHERE account_id = 2 AND seq = 1`);
      await client.query(`INSERT INTO ${S}.entry VALUES (3, 999, 1, 'ghost')`);
      await client.query(`UPDATE ${S}.reading SET value = 0 WHERE id = 3`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const drifted = await parity();
    expect(drifted.code).toBe(1);
    expect(
      Object.fromEntries(
        MIRRORED.map((t) => [t, { missing: drifted.tables[t]!.missing, extra: drifted.tables[t]!.extra, different: drifted.tables[t]!.different }]),
      ),
    ).toEqual({
      account: { missing: [], extra: [], different: [5] },
      entry: { missing: [[3, 999]], extra: [[2, 1]], different: [] },
      reading: { missing: [], extra: [], different: [[3, '2024-11-30']] },
    });
    // The alert monitor's reading of the same history, in the awkward tool schema.
    const snapshot = await new PostgresSnapshotSource(app.db.pool, {
      tool: TOOL,
      windowSeconds: 60,
      appliedLookbackSeconds: 600,
    }).read(MIRRORED);
    expect(snapshot.map((s) => [s.table, s.parityDrift])).toEqual([
      ['account', 1],
      ['entry', 2],
      ['reading', 1],
    ]);

    const repaired = (await app.tandem(['repair'])).stdout.trim().split('\n');
    expect(repaired.map((l) => l.replace(/\(repair:[0-9a-f-]+\)/, '(repair:…)'))).toEqual([
      'account: source postgres: 1 row(s) re-emitted, 0 delete(s) (repair:…); the relay applies them',
      'entry: source postgres: 1 row(s) re-emitted, 1 delete(s) (repair:…); the relay applies them',
      'reading: source postgres: 1 row(s) re-emitted, 0 delete(s) (repair:…); the relay applies them',
    ]);
    await app.tandem(['relay', '--once']);
    const after = await parity();
    expect([after.code, MIRRORED.map((t) => after.tables[t]!.clean)]).toEqual([0, [true, true, true]]);

    // Everything Tandem wrote is in the configured tool schema; each table carries its trigger only.
    expect(await userSchemas(app.db)).toEqual([TOOL.name, APP_SCHEMA]);
    const triggers = await app.db.pool.query<{ t: string; tgname: string }>(
      `SELECT c.relname AS t, g.tgname FROM pg_catalog.pg_trigger g
         JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT g.tgisinternal AND n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
      [APP_SCHEMA],
    );
    expect(triggers.rows).toEqual(MIRRORED.map((t) => ({ t, tgname: captureTriggerName(TOOL) })));
    const runs = await sql(`SELECT count(*)::int AS n FROM ${TOOL.sql}.parity_run WHERE NOT clean`);
    expect(runs.rows[0].n).toBe(3);
  }, 120_000);
});
