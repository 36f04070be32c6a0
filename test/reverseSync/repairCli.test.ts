/**
 * `tandem parity` and `tandem repair` read each table's writer from the saved
 * write groups, through the CLI against the local Convex stand-in (the
 * awkward-names application: its tool schema is `Mig-Tool "1"`). The group
 * `reading` is moved to `convex` (forced past its gates, audited); drift
 * planted in Postgres behind capture (a changed row, a stray row, a deleted
 * row) is reported with source convex, and repair copies Convex's rows into
 * Postgres without a single outbox event, so Convex keeps the writer's data.
 * Drift on `account`, still written in Postgres, is repaired from Postgres
 * through the outbox and the relay, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import { createCapturedAwkwardApp, S, TOOL, type AwkwardApp } from '../cli/awkwardFixture.js';

const backends = await availableBackends();

interface TableJson {
  source: string;
  missing: unknown[];
  extra: unknown[];
  different: unknown[];
  pending: unknown[];
  clean: boolean;
}

describe.each(backends)('parity and repair from each table\'s writer through the CLI [%s]', (backend) => {
  let app: AwkwardApp;
  const lines = (text: string) => text.trim().split('\n');
  const parity = async () => {
    const run = await app.tandemExit(['parity', '--json', '--pending-wait-ms', '1']);
    if (!run.stdout) throw new Error(`tandem parity exited ${run.code}: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as { clean: boolean; tables: Record<string, TableJson> };
    return { code: run.code, report };
  };
  const readings = async () =>
    (await app.db.pool.query(`SELECT id, taken_on::text AS taken_on, value FROM ${S}.reading ORDER BY id, taken_on`)).rows;
  const outboxEvents = async () =>
    (await app.db.pool.query(`SELECT table_name, key, op FROM ${TOOL.sql}.outbox WHERE operation_key LIKE 'repair:%' ORDER BY seq`)).rows;
  /** Writes behind every trigger (capture included): the drift parity must find. */
  const behindCapture = async (statements: string[]) => {
    const client = await app.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      for (const s of statements) await client.query(s);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  // The seed: reading g (1..10) is taken on 2024-09-01 + 30 g days with value g / 3.
  const seeded = Array.from({ length: 10 }, (_, i) => {
    const g = i + 1;
    const day = new Date(Date.UTC(2024, 8, 1 + 30 * g)).toISOString().slice(0, 10);
    return { id: g, taken_on: day, value: g / 3 };
  });

  beforeAll(async () => {
    app = await createCapturedAwkwardApp(backend);
  }, 180_000);
  afterAll(() => app?.close());

  it('moves reading to convex; parity reports its drift with source convex, account\'s with source postgres', async () => {
    await app.tandem(['plan', '--save-groups', '--why', 'repair test']);
    await app.tandem(['flags', 'set', 'reading', 'convex', '--force', '--why', 'repair test']);
    expect(
      lines((await app.tandem(['flags', 'set', 'reading', '--writes', 'convex', '--reason', 'repair test', '--force'])).stdout)[0],
    ).toMatch(/^reading: writes postgres → convex \(forced\) \(writes paused \d+ ms\)$/);
    expect(await readings()).toEqual(seeded);
    expect((await parity()).code).toBe(0);

    await behindCapture([
      `UPDATE ${S}.reading SET value = 99 WHERE id = 2`,
      `DELETE FROM ${S}.reading WHERE id = 3`,
      `INSERT INTO ${S}.reading VALUES (50, '2024-10-15', 1.5)`,
      `UPDATE ${S}.account SET balance = 0 WHERE code = 'acc5'`,
    ]);
    const { code, report } = await parity();
    expect(code).toBe(1);
    const summary = (t: TableJson) => ({ source: t.source, missing: t.missing, extra: t.extra, different: t.different, pending: t.pending });
    expect(Object.fromEntries(Object.entries(report.tables).map(([name, t]) => [name, summary(t)]))).toEqual({
      account: { source: 'postgres', missing: [], extra: [], different: [5], pending: [] },
      entry: { source: 'postgres', missing: [], extra: [], different: [], pending: [] },
      reading: {
        source: 'convex',
        missing: [[50, '2024-10-15']],
        extra: [[3, '2024-11-30']],
        different: [[2, '2024-10-31']],
        pending: [],
      },
    });
    const text = await app.tandemExit(['parity', '--tables', 'reading', '--no-record', '--pending-wait-ms', '1']);
    expect(lines(text.stdout)[0]).toMatch(/^reading\tfull\tsource convex\tpostgres 10\tconvex 10\tcompared 10\tmissing 1, extra 1, different 1, pending 0\tDRIFT$/);
  }, 180_000);

  it('repairs reading from Convex (no outbox event) and account from Postgres (through the relay)', async () => {
    const repaired = lines((await app.tandem(['repair'])).stdout).map((l) => l.replace(/\(repair:[0-9a-f-]+\)/, '(repair:…)'));
    // Postgres holds Convex's rows again: the seed, exactly.
    expect(await readings()).toEqual(seeded);
    // Only the Postgres-written table went through the outbox.
    expect(await outboxEvents()).toEqual([{ table_name: 'account', key: '5', op: 'update' }]);
    expect(repaired).toEqual([
      'account: source postgres: 1 row(s) re-emitted, 0 delete(s) (repair:…); the relay applies them',
      'reading: source convex: 2 row(s) copied into Postgres, 1 delete(s) (repair:…)',
    ]);
    await app.tandem(['relay', '--once']);
    const after = await parity();
    expect([after.code, Object.values(after.report.tables).map((t) => [t.source, t.clean])]).toEqual([
      0,
      [
        ['postgres', true],
        ['postgres', true],
        ['convex', true],
      ],
    ]);
    // account's Postgres row was the source: Convex took it (parity is clean), Postgres kept it.
    const account = await app.db.pool.query(`SELECT balance::text AS balance FROM ${S}.account WHERE code = 'acc5'`);
    expect(account.rows).toEqual([{ balance: '0' }]);
    expect(await readings()).toEqual(seeded);
  }, 180_000);
});
