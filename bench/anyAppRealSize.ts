/**
 * Benchmark: the any-application path at real size, driven only through the
 * compiled CLI with no config, on the film-rental example (examples/film-rental:
 * composite keys with a timestamptz part, a partitioned table, enums, a domain,
 * arrays, numeric, bytea, uuid and text keys) grown to tens of thousands of rows,
 * with 100 KB documents (a film's description and poster).
 *
 *   codegen → convex-local (the stand-in: convex-test, not Convex) → init →
 *   capture install → backfill while writers change rows and the relay runs →
 *   relay drained → parity --mode full (must be clean: exit 0)
 *
 * Each step's wall time and peak RSS (/usr/bin/time's %M) are printed, with the
 * stand-in's peak RSS. The baseline, in the same run: reading every mirrored
 * table once through `psql COPY … TO STDOUT` (the floor of any copy, in one session), so the
 * backfill and parity figures are also given as multiples of it.
 *
 *   npx tsx bench/anyAppRealSize.ts [--scale 1] [--heavy-every 10]
 *
 * --scale 1: 1,000 films (one in --heavy-every with a 100 KB description and a
 * 100 KB poster), 500 actors, 4,000 film_actor, 5,000 inventory, 15,000
 * rentals, 15,000 payments (two partitions): about 40,500 rows.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { freePort, Service, waitFor } from '../test/support/services.js';
import { mustPass, runCliStep, type Step } from './support/cliSteps.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    'heavy-every': { type: 'string', default: '10' },
  },
});
const scale = Number(values.scale);
const heavyEvery = Number(values['heavy-every']);
if (!(scale > 0) || !(heavyEvery >= 1)) throw new Error('--scale must be > 0 and --heavy-every >= 1');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples/film-rental');
const cli = path.join(root, 'bin/tandem.js');
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const MIRRORED = ['language', 'category', 'actor', 'film', 'film_actor', 'store', 'staff', 'inventory', 'rental', 'payment'];

const n = (base: number) => Math.max(1, Math.round(base * scale));
const counts = { actor: n(500), film: n(1000), filmActor: n(4000), inventory: n(5000), rental: n(15000) };

/** Grows the seeded example: ids start at 1000 so the seed's rows stay as they are. */
function growSql(): string {
  const { actor, film, filmActor, inventory, rental } = counts;
  const heavyText = `repeat(md5(g::text), 3125)`; // 32 chars × 3125 = 100,000 characters
  const heavyBytes = `decode(repeat(lpad(to_hex(g % 256), 2, '0'), 100000), 'hex')`; // 100,000 bytes
  return `
    INSERT INTO actor SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'First' || g, 'Last' || g
      FROM generate_series(1, ${actor}) g;
    INSERT INTO film (film_id, title, description, release_year, language_id, category_id, rental_rate, rating,
                      past_ratings, special_features, poster, fulltext)
      SELECT 1000 + g, 'Film ' || g,
             CASE WHEN g % ${heavyEvery} = 0 THEN ${heavyText} ELSE 'A story about ' || g END,
             1990 + g % 30, 1 + g % 2, 1 + g % 3, (g % 5) + 0.99,
             (ARRAY['G', 'PG', 'PG-13', 'R', 'NC-17'])[1 + g % 5]::mpaa_rating,
             CASE WHEN g % 3 = 0 THEN ARRAY['G', 'R']::mpaa_rating[] END,
             ARRAY['Trailers'],
             CASE WHEN g % ${heavyEvery} = 0 THEN ${heavyBytes} END,
             to_tsvector('english', 'Film number ' || g)
        FROM generate_series(1, ${film}) g;
    INSERT INTO film_actor
      SELECT DISTINCT ('10000000-0000-4000-8000-' || lpad(to_hex(1 + g % ${actor}), 12, '0'))::uuid, 1001 + (g * 7) % ${film}
        FROM generate_series(1, ${filmActor}) g;
    INSERT INTO inventory SELECT 1000 + g, 1001 + g % ${film}, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END
      FROM generate_series(1, ${inventory}) g;
    INSERT INTO rental SELECT timestamptz '2024-02-01T00:00:00.123456Z' + g * interval '1 minute', 1000 + 1 + g % ${inventory},
                              'customer ' || (g % 997), CASE WHEN g % 4 = 0 THEN NULL ELSE date '2024-03-01' + g % 200 END
      FROM generate_series(1, ${rental}) g;
    INSERT INTO payment SELECT 1000 + g, date '2024-01-01' + g % 360, (g % 2000) / 100.0 + 0.5,
                               timestamptz '2024-02-01T00:00:00.123456Z' + g * interval '1 minute', 1000 + 1 + g % ${inventory}
      FROM generate_series(1, ${rental}) g;
    ANALYZE;`;
}

/** The floor: every mirrored table read once, whole, by one psql session (text COPY, output discarded). */
function readFloorSeconds(db: BenchDatabase): number {
  const copies = MIRRORED.flatMap((table) => ['-c', `COPY (SELECT * FROM ${table}) TO STDOUT`]);
  const started = performance.now();
  const r = spawnSync('psql', ['-q', '-X', db.url, ...copies], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('psql COPY of the mirrored tables failed');
  return (performance.now() - started) / 1000;
}

function vmHwmMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Writers on every kind of key while the backfill copies: composite, partitioned (across partitions), uuid, heavy rows. */
async function writeUntil(db: BenchDatabase, stop: () => boolean): Promise<number> {
  let round = 0;
  while (!stop()) {
    round += 1;
    const inv = 1001 + (round % counts.inventory);
    await db.pool.query(`UPDATE film SET title = title || '+' WHERE film_id = $1`, [1000 + heavyEvery * (1 + (round % Math.max(1, Math.floor(counts.film / heavyEvery))))]);
    await db.pool.query(`INSERT INTO rental VALUES (timestamptz '2025-01-01T00:00:00.5Z' + $1 * interval '1 second', $2, 'walk-in', NULL)`, [round, inv]);
    await db.pool.query(`UPDATE payment SET amount = amount + 1 WHERE payment_id = $1`, [1001 + (round % counts.rental)]);
    await db.pool.query(`UPDATE payment SET paid_on = paid_on + 180 WHERE payment_id = $1 AND paid_on < '2024-06-01'`, [1001 + ((round * 7) % counts.rental)]);
    await db.pool.query(`UPDATE actor SET last_name = last_name || '.' WHERE actor_id = ('10000000-0000-4000-8000-' || lpad(to_hex($1::int), 12, '0'))::uuid`, [1 + (round % counts.actor)]);
    await new Promise((r) => setTimeout(r, 20));
  }
  return round * 5;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist/src/cli/main.js'))) throw new Error('run `npm run build` first (the bench runs the compiled CLI)');
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for peak RSS');
  await withBenchDatabases(1, 4, async ([db]) => {
    const machine = await describeMachine(db!.pool);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-anyapp-'));
    const logDir = path.join(dir, 'logs');
    fs.mkdirSync(logDir);
    fs.mkdirSync(path.join(dir, 'convex'));
    for (const file of ['schema.sql', 'seed.sql']) {
      const r = spawnSync('psql', ['-q', '-X', '-v', 'ON_ERROR_STOP=1', db!.url, '-f', path.join(example, file)], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`loading ${file} failed`);
    }
    const grown = spawnSync('psql', ['-q', '-X', '-v', 'ON_ERROR_STOP=1', db!.url, '-c', growSql()], { stdio: 'inherit' });
    if (grown.status !== 0) throw new Error('growing the example failed');
    const rowCounts = await db!.pool.query<{ t: string; n: number }>(
      MIRRORED.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL '),
    );
    const totalRows = rowCounts.rows.reduce((s, r) => s + r.n, 0);
    const bytes = await db!.pool.query<{ mb: number }>(
      `SELECT round(sum(pg_total_relation_size(c.oid)) / 1048576.0, 1)::float AS mb
         FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')`,
    );

    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db!.url,
      CONVEX_URL: `http://127.0.0.1:${port}`,
      CONVEX_DEPLOY_KEY: ADMIN_KEY,
      TANDEM_LOG_LEVEL: 'warn',
      TANDEM_HOME: path.join(dir, 'home'),
    };
    delete env.TANDEM_CONFIG;
    const steps: Step[] = [];
    const floor = readFloorSeconds(db!);

    steps.push(mustPass(await runCliStep(cli, ['codegen', '--convex-dir', 'convex'], env, dir, logDir, 'codegen'), logDir));
    // The stand-in runs the whole time; the relay runs during and after the backfill, as a team runs them.
    const standIn = spawn(process.execPath, [cli, 'convex-local', '--convex-dir', 'convex', '--port', String(port), '--admin-key', ADMIN_KEY, '--data-dir', path.join(dir, 'convex-data')], {
      cwd: dir,
      env,
      stdio: ['ignore', fs.openSync(path.join(logDir, 'convex-local.log'), 'w'), 'inherit'],
    });
    const relay = new Service('relay', ['relay'], { ...env }, logDir);
    let writes = 0;
    try {
      await waitFor('the stand-in', async () => (await fetch(`http://127.0.0.1:${port}/version`).catch(() => null)) !== null, 120_000);
      steps.push(mustPass(await runCliStep(cli, ['init'], env, dir, logDir, 'init'), logDir));
      steps.push(mustPass(await runCliStep(cli, ['capture', 'install'], env, dir, logDir, 'capture-install'), logDir));
      // The relay runs from the repository root so Service finds bin/tandem.js; it needs no files of the app.
      relay.start();
      let backfillDone = false;
      const writers = writeUntil(db!, () => backfillDone);
      const backfill = await runCliStep(cli, ['backfill'], env, dir, logDir, 'backfill');
      backfillDone = true;
      writes = await writers;
      mustPass(backfill, logDir);
      steps.push(backfill);
      // Whatever the running relay has not applied yet is drained by a --once run, timed as its own step.
      await relay.kill('SIGTERM');
      steps.push(mustPass(await runCliStep(cli, ['relay', '--once'], env, dir, logDir, 'relay-once-drain'), logDir));
      steps.push(mustPass(await runCliStep(cli, ['parity', '--mode', 'full'], env, dir, logDir, 'parity-full'), logDir));
    } finally {
      await relay.kill('SIGTERM');
      const standInPeak = vmHwmMiB(standIn.pid);
      standIn.kill('SIGTERM');
      printMachine(machine);
      console.log(`\nAny application at real size: film-rental grown ×${scale}, no config, the compiled CLI, the stand-in (convex-test), not Convex`);
      console.log(`rows: ${totalRows} in ${MIRRORED.length} mirrored tables (${rowCounts.rows.map((r) => `${r.t} ${r.n}`).join(', ')}); ${bytes.rows[0]!.mb} MB on disk`);
      console.log(`100 KB documents: ${Math.floor(counts.film / heavyEvery)} films with a 100,000-character description and a 100,000-byte poster`);
      console.log(`concurrent writes during the backfill: ${writes}`);
      console.log(`baseline (same run): every mirrored table read once by psql COPY: ${floor.toFixed(2)} s`);
      console.log('\n| step | wall s | × baseline | peak RSS MiB |\n|---|---|---|---|');
      for (const s of steps)
        console.log(`| ${s.step} | ${s.seconds.toFixed(1)} | ${(s.seconds / floor).toFixed(0)} | ${Number.isNaN(s.peakMiB) ? '–' : s.peakMiB.toFixed(0)} |`);
      const backfill = steps.find((s) => s.step === 'backfill');
      if (backfill) console.log(`\nbackfill: ${(totalRows / backfill.seconds).toFixed(0)} rows/s`);
      const parity = steps.find((s) => s.step === 'parity-full');
      if (parity) console.log(`parity --mode full: clean (exit 0), ${(totalRows / parity.seconds).toFixed(0)} rows/s`);
      console.log(`stand-in (tandem convex-local) peak RSS: ${standInPeak === null ? 'unknown' : standInPeak.toFixed(0)} MiB`);
      console.log(`logs: ${logDir}`);
    }
  });
}

await main();
