/**
 * The second application, end to end, driven only through the CLI with no
 * config file at all: a film-rental schema (examples/film-rental) with text,
 * uuid and composite keys (one with a timestamptz part), a partitioned table,
 * enums, a domain, arrays, numeric, bytea, a self-reference, a foreign-key
 * cycle and a table without a key.
 *
 * discovery → plan → codegen into the app's own Convex folder → the local
 * stand-in serving that folder → capture → backfill under concurrent writes →
 * relay → full parity with zero drift → drift made behind capture found
 * exactly → repair → zero drift again; then one table (language) to the end
 * of the plan through the phase commands: idempotency drill, freeze (dry run,
 * refusal, the trigger's error), archive (refused into a folder that cannot be
 * written), restore (dry run, into a scratch schema, refused into a non-empty
 * one, refused when tampered) and decommission (refused by the guard, then
 * kept in the retired schema).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startConvexLocal } from '../support/cliRun.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = path.join(root, 'examples/film-rental');
const run = promisify(execFile);
const ADMIN_KEY = 'film-rental-admin-key-0123456789';

const MIRRORED = [
  'actor',
  'category',
  'language',
  'film',
  'film_actor',
  'store',
  'inventory',
  'rental',
  'staff',
  'payment',
];

interface TableReport {
  pgRows: number;
  convexRows: number;
  missing: unknown[];
  extra: unknown[];
  different: unknown[];
  pending: unknown[];
  clean: boolean;
}
interface ParityJson {
  clean: boolean;
  tables: Record<string, TableReport>;
}

describe.each(backends)('film rental, end to end through the CLI [%s]', (backend) => {
  let db: TestDatabase;
  let dir: string;
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
    run(process.execPath, [CLI, ...args], { cwd: dir, env: env(), maxBuffer: 64 * 1024 * 1024 });
  const parity = async (): Promise<{ code: number; report: ParityJson }> => {
    const result = await tandem(['parity', '--mode', 'full', '--json', '--range-rows', '50']).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (err: { code: number; stdout: string }) => err,
    );
    return { code: result.code, report: JSON.parse(result.stdout) as ParityJson };
  };
  const sql = (text: string, values: unknown[] = []) => db.pool.query(text, values);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await sql(fs.readFileSync(path.join(example, 'schema.sql'), 'utf8'));
    await sql(fs.readFileSync(path.join(example, 'seed.sql'), 'utf8'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-film-'));
    // The app's own Convex folder, with a table of its own that the mirror must leave alone.
    fs.mkdirSync(path.join(dir, 'convex'));
    fs.writeFileSync(
      path.join(dir, 'convex/schema.ts'),
      [
        "import { defineSchema, defineTable } from 'convex/server';",
        "import { v } from 'convex/values';",
        "import { tandemTables } from './tandem/schemaFragment.js';",
        '',
        'export default defineSchema({',
        '  watchlist: defineTable({ user: v.string(), filmId: v.number() }),',
        '  ...tandemTables,',
        '});',
        '',
      ].join('\n'),
    );
  }, 120_000);

  afterAll(async () => {
    convex?.kill('SIGKILL');
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plans every keyed table with no config, and skips the one without a key', async () => {
    await tandem(['init']);
    const plan = JSON.parse((await tandem(['plan', '--json'])).stdout);
    expect([...plan.order].sort()).toEqual([...MIRRORED].sort());
    // Parents before children; the store ↔ staff cycle is broken by a second pass.
    const at = (t: string) => plan.order.indexOf(t);
    expect(at('film')).toBeGreaterThan(at('language'));
    expect(at('rental')).toBeGreaterThan(at('inventory'));
    expect(at('payment')).toBeGreaterThan(at('rental'));
    expect(plan.tables.store.secondPass).toEqual(['store.manager_id → staff']);
    expect(plan.tables.category.secondPass).toEqual(['category.parent_id → category']);
    expect(plan.skipped).toEqual([
      {
        table: 'audit_log',
        reason:
          'no primary key: name the columns of a unique NOT NULL index in keys.audit_log to mirror it',
      },
    ]);
  }, 60_000);

  it('codegen writes the kit into the app folder; the stand-in serves that folder', async () => {
    const { stdout } = await tandem(['codegen', '--convex-dir', 'convex']);
    expect(stdout).toContain('skipped audit_log (no primary key');
    expect(stdout).toContain('wrote convex/tandem/schemaFragment.ts');
    expect(stdout).not.toContain('convex/schema.ts');
    const check = await tandem(['codegen', '--convex-dir', 'convex', '--check']);
    expect(check.stdout).toBe('skipped audit_log (no primary key: name the columns of a unique NOT NULL index in keys.audit_log to mirror it)\nup to date (10 tables)\n');
    const started = startConvexLocal({ cwd: dir, env: env(), adminKey: ADMIN_KEY, dataDir: path.join(dir, 'convex-data') });
    convex = started.child;
    convexUrl = await started.url;
    expect(convexUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 120_000);

  it('backfills under concurrent writes and relays: full parity finds zero drift', async () => {
    const installed = (await tandem(['capture', 'install'])).stdout;
    expect(installed.split('\n').filter((l) => l.startsWith('installed')).length).toBe(10);
    const backfill = tandem(['backfill', '--batch-rows', '20']);
    let done = false;
    void backfill.finally(() => (done = true));
    // Writes on every kind of key while the backfill copies, and a fixed set after it.
    let round = 0;
    const write = async () => {
      round += 1;
      const film = 1 + (round % 60);
      await sql(`UPDATE film SET title = title || '+', past_ratings = array_append(past_ratings, 'R') WHERE film_id = $1`, [film]);
      await sql(`INSERT INTO rental VALUES (timestamptz '2024-12-01T00:00:00.5Z' + $1 * interval '1 minute', $2, 'walk-in', NULL)`, [round, 1 + (round % 150)]);
      await sql(`UPDATE rental SET returned_on = date '2024-12-31' WHERE inventory_id = $1 AND returned_on IS NULL`, [1 + (round % 150)]);
      await sql(`UPDATE payment SET amount = amount + 1 WHERE payment_id = $1`, [1 + (round % 300)]);
      // Moves a payment across partitions (a delete and an insert inside Postgres).
      await sql(`UPDATE payment SET paid_on = paid_on + 200 WHERE payment_id = $1 AND paid_on < '2024-06-01'`, [1 + ((round * 7) % 300)]);
      // Films 1–30 only: the drift test below deletes a row of a film the writers never touch.
      await sql(`DELETE FROM film_actor WHERE film_id = $1 AND actor_id IN (SELECT actor_id FROM film_actor WHERE film_id = $1 LIMIT 1)`, [1 + (round % 30)]);
      await sql(`UPDATE actor SET last_name = last_name || '.' WHERE actor_id = ('00000000-0000-4000-8000-' || lpad(to_hex($1::int), 12, '0'))::uuid`, [1 + (round % 40)]);
    };
    // Bounded, paced writes: they overlap the copy without starving it.
    while (!done && round < 200) {
      await write();
      await new Promise((r) => setTimeout(r, 10));
    }
    await backfill;
    for (let i = 0; i < 5; i++) await write();
    await tandem(['relay', '--once']);
    const { code, report } = await parity();
    expect(code).toBe(0);
    expect(Object.keys(report.tables).sort()).toEqual([...MIRRORED].sort());
    for (const [table, t] of Object.entries(report.tables)) {
      const { rows } = await sql(`SELECT count(*)::int AS n FROM ${table}`);
      expect([table, t.pgRows, t.convexRows, t.clean]).toEqual([table, rows[0].n, rows[0].n, true]);
    }
  }, 300_000);

  it('finds drift made behind capture exactly (composite and partitioned keys), and repair heals it', async () => {
    const pending = await sql(`SELECT table_name, count(*)::int AS n FROM tandem.outbox WHERE status = 'pending' GROUP BY 1`);
    expect(pending.rows).toEqual([]);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL session_replication_role = replica`);
      await client.query(`UPDATE rental SET customer = 'ghost' WHERE inventory_id = 3 AND rented_at = (SELECT min(rented_at) FROM rental WHERE inventory_id = 3)`);
      await client.query(`UPDATE payment SET amount = 0 WHERE payment_id = 250`);
      await client.query(`DELETE FROM film_actor WHERE (actor_id, film_id) =
                            (SELECT actor_id, film_id FROM film_actor WHERE film_id > 30 ORDER BY film_id, actor_id LIMIT 1)`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // Keys as parity reports them: each key column's value, a timestamptz part in UTC.
    const keyValues = async (table: string, where: string) =>
      (
        await sql(
          `SELECT ${
            table === 'rental'
              ? `json_build_array(to_char(rented_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), inventory_id)`
              : `json_build_array(payment_id, paid_on::text)`
          } AS k FROM ${table} WHERE ${where}`,
        )
      ).rows.map((r) => r.k);
    const rentalKeys = await keyValues('rental', `customer = 'ghost'`);
    const paymentKeys = await keyValues('payment', 'payment_id = 250');
    const { code, report } = await parity();
    expect(code).toBe(1);
    const drift = Object.fromEntries(
      Object.entries(report.tables)
        .filter(([, t]) => !t.clean)
        .map(([name, t]) => [
          name,
          { missing: t.missing.length, extra: t.extra.length, different: t.different },
        ]),
    );
    expect(drift).toEqual({
      film_actor: { missing: 0, extra: 1, different: [] },
      rental: { missing: 0, extra: 0, different: rentalKeys },
      payment: { missing: 0, extra: 0, different: paymentKeys },
    });
    const repaired = (await tandem(['repair'])).stdout;
    expect(repaired.split('\n').filter(Boolean).map((l) => l.split(':')[0]).sort()).toEqual([
      'film_actor',
      'payment',
      'rental',
    ]);
    await tandem(['relay', '--once']);
    const after = await parity();
    expect([after.code, after.report.clean]).toEqual([0, true]);
  }, 300_000);

  it('takes one table to the end of the plan through the phase commands', async () => {
    const refused = (args: string[]) =>
      tandem(args).then(
        (ok) => {
          throw new Error(`expected a refusal of ${args.join(' ')}, got ${JSON.stringify(ok)}`);
        },
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
    const phaseOf = async () =>
      JSON.parse((await tandem(['checklist', 'language', '--json'])).stdout)[0].phase as string;

    // Changes for the drill to replay: the backfill copied language, nothing wrote to it since.
    await sql(`UPDATE language SET last_update = now()`);
    await tandem(['relay', '--once']);
    const languages = (await sql(`SELECT count(*)::int AS n FROM language`)).rows[0].n as number;
    expect((await tandem(['drill', 'idempotency', 'language'])).stdout).toBe(
      `language: ${languages} change(s) of ${languages} key(s) replayed, all skipped, versions and hashes unchanged\n`,
    );
    // Gates that need days of evidence are forced here (lifecycle.test.ts crosses them by clock).
    for (const to of ['mirroring', 'backfilled', 'verified', 'reads-on-convex', 'writes-on-convex'])
      await tandem(['advance', 'language', '--to', to, '--force', '--why', 'the phase commands are what is tested']);

    expect(await refused(['freeze', 'language', '--why', 'retire'])).toEqual({
      code: 2,
      stderr: 'tandem: table: language reads are on postgres, not convex: freezing would serve reads from a table nobody writes\n',
    });
    await tandem(['flags', 'set', 'language', 'convex', '--force', '--why', 'reads moved']);
    expect((await tandem(['freeze', 'language', '--why', 'retire', '--dry-run'])).stdout).toBe(
      'language (writes-on-convex): would freeze; 0 writer(s) in flight, 0 change(s) pending\n',
    );
    const frozen = await tandem(['freeze', 'language', '--why', 'retire']);
    expect(frozen.stdout).toMatch(/^language: frozen/);
    const write = (await sql(`UPDATE language SET name = 'x' WHERE language_id = 1`).catch((e: unknown) => e)) as {
      code?: string;
      message?: string;
    };
    expect([write.code, write.message]).toEqual(['TF001', expect.stringMatching(/^table public\.language is frozen/)]);
    expect((await tandem(['advance', 'language'])).stdout).toBe('language: writes-on-convex -> frozen\n');

    const blocked = path.join(dir, 'blocked');
    fs.writeFileSync(blocked, 'a file, not a folder');
    expect(await refused(['archive', 'language', '--out', path.join(blocked, 'sub')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^tandem: out: cannot write to .*blocked\/sub: /),
    });
    const archived = await tandem(['archive', 'language', '--out', 'archive/language']);
    expect(archived.stdout).toBe(
      `language: archive of ${languages} row(s) at ${path.join(fs.realpathSync(dir), 'archive/language')} verified: checksums match, a scratch restore equals the table\n`,
    );
    expect((await tandem(['restore', 'archive/language', '--into', 'scratch', '--dry-run'])).stdout).toBe(
      `archive/language: ${languages} row(s) verified, checksums match\n`,
    );
    expect((await tandem(['restore', 'archive/language', '--into', 'scratch'])).stdout).toBe(
      `archive/language: ${languages} row(s) restored into scratch.language, checksums match\n`,
    );
    const same = await sql(
      `SELECT count(*)::int AS n FROM (SELECT * FROM language EXCEPT SELECT * FROM scratch.language) d`,
    );
    expect(same.rows[0].n).toBe(0);
    expect(await refused(['restore', 'archive/language', '--into', 'scratch'])).toEqual({
      code: 2,
      stderr: 'tandem: into: schema scratch exists and is not empty: restore into a new or empty schema\n',
    });
    fs.cpSync(path.join(dir, 'archive/language'), path.join(dir, 'archive/tampered'), { recursive: true });
    fs.appendFileSync(path.join(dir, 'archive/tampered/count'), '1\n');
    expect(await refused(['restore', 'archive/tampered', '--into', 'scratch2'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^tandem: archive: .*count: checksum mismatch/),
    });
    expect((await sql(`SELECT to_regnamespace('scratch2') AS s`)).rows[0].s).toBeNull();
    expect((await tandem(['advance', 'language'])).stdout).toBe('language: frozen -> archived\n');

    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app/report.sql'), 'SELECT name FROM language;\n');
    const guarded = await refused(['decommission', 'language', '--src', 'app']);
    expect(guarded).toEqual({
      code: 2,
      stderr: 'tandem: language: cannot enter decommissioned: guard-clean (1 SQL reference(s) left, first at app/report.sql:1)\n',
    });
    fs.rmSync(path.join(dir, 'app/report.sql'));
    const done = await tandem(['decommission', 'language', '--src', 'app']);
    expect(done.stdout.split('\n')[0]).toBe('language: decommissioned, kept as tandem_retired.language; capture removed');
    // No longer in the application schema, still listed at the end of the plan.
    expect(await phaseOf()).toBe('decommissioned');
    const all = JSON.parse((await tandem(['checklist', '--json'])).stdout) as Array<{ table: string; phase: string; next: null }>;
    expect(all.at(-1)).toMatchObject({ table: 'language', phase: 'decommissioned', next: null, gates: [] });
    expect(all.filter((l) => l.table === 'language')).toHaveLength(1);
    const kept = await sql(`SELECT count(*)::int AS n FROM tandem_retired.language`);
    expect(kept.rows[0].n).toBe(languages);
  }, 300_000);
});
