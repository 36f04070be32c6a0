/**
 * Soak: the whole mirror under steady traffic and rotating faults, then the
 * exact end state.
 *
 *   npm run soak -- [--minutes 30] [--writers 4] [--fault-every-s 15] [--restart-postgres]
 *
 * Runs, each as its own process where a team runs one: the local Convex
 * stand-in (`tandem convex-local`), two relays (`tandem relay`) and the API
 * (`tandem serve`), on a fresh database of the real PostgreSQL server
 * (TANDEM_SOAK_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * reached through a TCP proxy. Traffic: API writers (story-done events,
 * approvals, renames) plus raw-SQL writers. Faults, in turn: a relay SIGKILLed
 * and restarted, the stand-in SIGKILLed and restarted on its data dir, every
 * connection through the proxy dropped, and with --restart-postgres the server
 * restarted (pg_ctlcluster on TANDEM_SOAK_PG_CLUSTER, "<version> <cluster>",
 * default the first version's `main`; only where nothing else uses that
 * server, as in CI's soak step after the tests).
 *
 * After the run: traffic stops, the faults stop, the relays drain, then
 * `tandem parity --mode full` must find zero drift, `tandem invariants` no
 * violation in either store, there must be no dead letter, and every
 * story-done event the API acknowledged must be in Postgres. Prints
 * throughput, lag percentiles (the oldest pending change's age, sampled every
 * second) and each fault's recovery time (until the lag is back under 2 s);
 * exits 1 on any failed check.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { STORY_SITE_CONFIG_FILE } from '../../examples/story-site/src/app/schema.js';
import { installCapture } from '../../src/capture/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { seedFixture } from '../support/appFixture.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { freePort, Service, waitFor } from '../support/services.js';
import { startTcpProxy } from '../support/tcpProxy.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    writers: { type: 'string', default: '4' },
    'fault-every-s': { type: 'string', default: '15' },
    'restart-postgres': { type: 'boolean', default: false },
  },
});
const DURATION_MS = Number(args.minutes) * 60_000;
const WRITERS = Number(args.writers);
const FAULT_EVERY_MS = Number(args['fault-every-s']) * 1000;
const ADMIN_KEY = 'soak-admin-key-0123456789';
const EDITOR_TOKENS = ['soak-editor-token-1', 'soak-editor-token-2', 'soak-editor-token-3'];
const root = path.resolve(import.meta.dirname, '../..');
const serverUrl = process.env.TANDEM_SOAK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function runCli(argv: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['bin/tandem.js', ...argv], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist/src/cli/main.js'))) throw new Error('soak: run `npm run build` first');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-soak-'));
  const database = `tandem_soak_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${database}`;

  // The soak's own connections (setup, raw-SQL writers, the lag monitor) go
  // straight to the server; the services go through the proxy that drops theirs.
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: WRITERS + 4 });
  pool.on('error', () => undefined); // a restart drops idle clients; the next query reconnects
  await seedFixture(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await installCapture(pool, { ...storySiteCapture() });
  const proxy = await startTcpProxy(dbUrl.toString());

  const convexPort = await freePort();
  const apiPort = await freePort();
  const convexUrl = `http://127.0.0.1:${convexPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: proxy.url,
    CONVEX_URL: convexUrl,
    CONVEX_DEPLOY_KEY: ADMIN_KEY,
    TANDEM_HOME: home,
    TANDEM_LOG_LEVEL: 'warn',
    TANDEM_CONFIG: STORY_SITE_CONFIG_FILE,
    TANDEM_API_TOKENS: JSON.stringify(Object.fromEntries(EDITOR_TOKENS.map((t, i) => [t, { userId: i + 1, role: 'editor' }]))),
  };
  const logDir = path.join(home, 'logs');
  fs.mkdirSync(logDir);
  const standIn = new Service('convex-local', ['convex-local', '--port', String(convexPort), '--data-dir', path.join(home, 'convex'), '--admin-key', ADMIN_KEY], env, logDir);
  const relays = [0, 1].map((i) => new Service(`relay-${i}`, ['relay', '--lease-ms', '3000'], env, logDir));
  const api = new Service('api', ['serve', '--port', String(apiPort)], env, logDir);
  const services = [standIn, ...relays, api];
  standIn.start();
  await waitFor('the stand-in serving', async () => (await fetch(`${convexUrl}/version`)).status < 500, 60_000);
  // The rows written before capture reach Convex through the backfill, as on a team's first day.
  const backfill = runCli(['backfill'], { ...env, DATABASE_URL: dbUrl.toString() });
  if (backfill.status !== 0) throw new Error(`soak: backfill failed: ${backfill.stderr}`);
  api.start();
  await waitFor('the API serving', async () => (await fetch(`${apiUrl}/healthz`)).ok, 60_000);
  for (const relay of relays) relay.start();
  console.log(`soak: ${args.minutes} min, ${WRITERS} API writers + 1 SQL writer, a fault every ${FAULT_EVERY_MS / 1000} s; logs in ${logDir}`);

  const { rows: stories } = await pool.query<{ id: number; course_id: number; set_id: number; set_index: number }>(
    'SELECT id, course_id, set_id, set_index FROM story ORDER BY id',
  );
  const ackedDone: number[] = [];
  const counts = { apiOk: 0, apiRefused: 0, apiFailed: 0, sqlOk: 0, sqlFailed: 0 };
  let stopping = false;

  async function apiWriter(w: number): Promise<void> {
    const token = EDITOR_TOKENS[w % EDITOR_TOKENS.length]!;
    for (let i = 0; !stopping; i++) {
      const story = stories[(w + i) % stories.length]!;
      const kind = i % 3;
      try {
        const response =
          kind === 0
            ? await fetch(`${apiUrl}/api/stories/${story.id}/done`, { method: 'POST' })
            : kind === 1
              ? await fetch(`${apiUrl}/api/stories/${story.id}/approval`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
              : await fetch(`${apiUrl}/api/stories/${story.id}`, {
                  method: 'PUT',
                  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                  body: JSON.stringify({ name: `soak ${w}.${i}`, course_id: story.course_id, set_id: story.set_id, set_index: story.set_index }),
                });
        if (response.ok) {
          counts.apiOk += 1;
          if (kind === 0) ackedDone.push(((await response.json()) as { id: number }).id);
        } else if (response.status < 500) {
          counts.apiRefused += 1;
          console.error(`soak: API refused a write: ${response.status} ${await response.text()}`);
        } else {
          counts.apiFailed += 1; // a 5xx during a fault: not acknowledged, may be retried by the client
          await response.arrayBuffer();
        }
      } catch {
        counts.apiFailed += 1; // the API process is not down in this soak, but a connection may still fail
        await sleep(100);
      }
    }
  }

  async function sqlWriter(): Promise<void> {
    for (let i = 0; !stopping; i++) {
      try {
        await pool.query(
          `BEGIN; INSERT INTO story_done (story_id, user_id) VALUES (${stories[i % stories.length]!.id}, NULL);
           UPDATE story SET name = 'sql ${i}' WHERE id = ${stories[(i + 2) % stories.length]!.id}; COMMIT`,
        );
        counts.sqlOk += 1;
      } catch {
        counts.sqlFailed += 1;
        await pool.query('ROLLBACK').catch(() => undefined);
        await sleep(100);
      }
      await sleep(20);
    }
  }

  // Lag: the oldest pending change's age, sampled every second.
  const lagSamples: Array<{ at: number; lagS: number }> = [];
  async function lagMonitor(): Promise<void> {
    while (!stopping) {
      try {
        const { rows } = await pool.query<{ lag: number | null }>(
          `SELECT extract(epoch FROM now() - min(captured_at))::float8 AS lag FROM tandem.outbox WHERE status = 'pending'`,
        );
        lagSamples.push({ at: Date.now(), lagS: rows[0]!.lag ?? 0 });
      } catch {
        // Postgres restarting: no sample
      }
      await sleep(1000);
    }
  }

  const faults: Array<{ kind: string; at: number }> = [];
  async function injectFault(n: number): Promise<void> {
    const kinds = ['relay', 'stand-in', 'connections', ...(args['restart-postgres'] ? ['postgres'] : [])];
    const kind = kinds[n % kinds.length]!;
    faults.push({ kind, at: Date.now() });
    console.log(`soak: fault ${n + 1}: ${kind}`);
    if (kind === 'relay') {
      const relay = relays[n % relays.length]!;
      await relay.kill();
      await sleep(1000);
      relay.start();
    } else if (kind === 'stand-in') {
      await standIn.kill();
      await sleep(1000);
      standIn.start();
    } else if (kind === 'connections') {
      proxy.cut();
    } else {
      const [version, cluster] = (process.env.TANDEM_SOAK_PG_CLUSTER ?? `${fs.readdirSync('/etc/postgresql')[0]} main`).split(/\s+/);
      const restart = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version!, cluster!, 'restart'], { encoding: 'utf8' });
      if (restart.status !== 0) throw new Error(`soak: pg_ctlcluster restart failed: ${restart.stderr}`);
    }
  }

  const started = Date.now();
  const traffic = [...Array.from({ length: WRITERS }, (_, w) => apiWriter(w)), sqlWriter(), lagMonitor()];
  let faultNumber = 0;
  while (Date.now() - started < DURATION_MS) {
    await sleep(Math.min(FAULT_EVERY_MS, DURATION_MS - (Date.now() - started)));
    if (Date.now() - started < DURATION_MS) await injectFault(faultNumber++);
    for (const service of services) if (!service.running) service.start(); // the API or a relay that died on its own
  }
  stopping = true;
  await Promise.all(traffic);
  const trafficSeconds = (Date.now() - started) / 1000;

  // Drain: everything up, wait until nothing is pending.
  const drainStarted = Date.now();
  await waitFor(
    'an empty outbox',
    async () => {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending'`);
      return rows[0]!.n === 0;
    },
    180_000,
  );
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  for (const relay of relays) await relay.kill('SIGTERM');
  await api.kill('SIGTERM');

  const checkEnv = { ...env, DATABASE_URL: dbUrl.toString() };
  const failures: string[] = [];
  const parity = runCli(['parity', '--mode', 'full', '--json'], checkEnv);
  fs.writeFileSync(path.join(logDir, 'parity.json'), parity.stdout);
  const parityReport = parity.stdout ? (JSON.parse(parity.stdout) as { clean: boolean; tables: Record<string, { clean: boolean }> }) : null;
  if (parity.status !== 0 || !parityReport?.clean) {
    const drifted = Object.entries(parityReport?.tables ?? {}).filter(([, t]) => !t.clean);
    failures.push(`parity: exit ${parity.status}: ${JSON.stringify(Object.fromEntries(drifted)).slice(0, 3000)} ${parity.stderr.slice(0, 2000)}`);
  }
  const invariants = runCli(['invariants', '--json'], checkEnv);
  if (invariants.status !== 0) failures.push(`invariants: exit ${invariants.status}: ${invariants.stdout.slice(0, 2000)} ${invariants.stderr.slice(0, 2000)}`);
  const { rows: dead } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.dead_letter');
  if (dead[0]!.n !== 0) failures.push(`${dead[0]!.n} dead letter(s)`);
  const { rows: present } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM story_done WHERE id = ANY($1::int[])', [ackedDone]);
  if (present[0]!.n !== ackedDone.length) failures.push(`${ackedDone.length - present[0]!.n} acknowledged story-done event(s) missing from Postgres`);
  if (counts.apiRefused > 0) failures.push(`${counts.apiRefused} API write(s) refused with a 4xx`);

  // Recovery: from each fault until the lag was back under 2 s.
  const recoveries = faults.map((fault) => {
    const back = lagSamples.find((s) => s.at > fault.at && s.lagS < 2);
    return { kind: fault.kind, seconds: back ? (back.at - fault.at) / 1000 : null };
  });
  const lags = lagSamples.map((s) => s.lagS).sort((a, b) => a - b);
  const writes = counts.apiOk + counts.sqlOk;
  console.log(
    [
      `soak: ${trafficSeconds.toFixed(0)} s of traffic, ${faults.length} faults; ${writes} writes acknowledged (${(writes / trafficSeconds).toFixed(1)}/s: ${counts.apiOk} API, ${counts.sqlOk} SQL), ${counts.apiFailed} API and ${counts.sqlFailed} SQL attempts failed during faults`,
      `soak: lag (oldest pending change) p50 ${percentile(lags, 50).toFixed(1)} s, p99 ${percentile(lags, 99).toFixed(1)} s, max ${(lags.at(-1) ?? 0).toFixed(1)} s; final drain ${drainSeconds.toFixed(1)} s`,
      ...['relay', 'stand-in', 'connections', 'postgres'].map((kind) => {
        const times = recoveries.filter((r) => r.kind === kind);
        if (times.length === 0) return null;
        const known = times.flatMap((r) => (r.seconds === null ? [] : [r.seconds])).sort((a, b) => a - b);
        return `soak: recovery after ${kind} (${times.length}×): median ${percentile(known, 50).toFixed(1)} s, max ${(known.at(-1) ?? 0).toFixed(1)} s${known.length < times.length ? `, ${times.length - known.length} not back before the run ended` : ''}`;
      }),
      `soak: parity ${parityReport?.clean ? 'clean' : 'DRIFT'}; invariants ${invariants.status === 0 ? 'hold in both stores' : 'VIOLATED'}; dead letters ${dead[0]!.n}; acknowledged story-done events present ${present[0]!.n}/${ackedDone.length}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );

  await standIn.kill('SIGTERM');
  await proxy.close();
  await pool.end();
  const cleanup = new pg.Client({ connectionString: serverUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await cleanup.end();
  if (failures.length > 0) {
    console.error(`soak: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}\nlogs: ${logDir}`);
    process.exit(1);
  }
  fs.rmSync(home, { recursive: true, force: true });
  console.log('soak: passed');
}

await main();
