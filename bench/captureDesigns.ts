/**
 * What each way of capturing a write costs the writer, in the same run:
 * Tandem's trigger outbox against logical decoding, the design that would
 * move trigger capture's floor (the second row each change writes; BENCHMARKS
 * section 2d), on the story site's `done` transaction.
 *
 * Logical decoding needs `wal_level = logical`, a server-wide setting that
 * takes a restart, so this benchmark starts its own PostgreSQL cluster in a
 * temporary directory (`initdb` from `pg_config --bindir`, as the `postgres`
 * user when run as root) on a free port, with `wal_level = logical`, and
 * removes it at the end. Three databases there get the same sample and the
 * tool schema:
 * - `none`: no capture;
 * - `trigger`: Tandem's capture triggers on every mirrored table (what
 *   `tandem capture install` does); nothing reads the outbox meanwhile (no
 *   relay runs), so this is the writer's cost only;
 * - `logical`: no trigger; for its turn a logical replication slot (`pgoutput`,
 *   a publication for all tables) is created and a consumer decodes it every
 *   100 ms through `pg_logical_slot_get_binary_changes` (the decoding a
 *   walsender would do for a relay, on the same two cores), then the slot is
 *   dropped so it never decodes the other databases' turns.
 *
 * The transaction is `done`'s own (BEGIN; the live-story check; the INSERT …
 * RETURNING; COMMIT: examples/story-site/src/app/writes/storyDone.ts), run by
 * `pgbench -M prepared` with --clients for --seconds per turn, the three
 * databases in turns rotated per round, --rounds rounds. Closed loop (the
 * default) measures throughput; `--rate F` offers F of the `none` database's
 * closed-loop rate (measured first) to every database and measures latency at
 * that load. Latency per transaction from pgbench's log (µs).
 *
 *   npx tsx bench/captureDesigns.ts [--scale 0.05] [--seconds 6] [--clients 8] [--rounds 3] [--rate 0|0.5]
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { installCapture } from '../src/capture/index.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';
import { migrate } from '../src/postgres/migrate.js';
import { freePort } from '../test/support/services.js';
import { storySiteCapture } from '../test/support/storySiteMirror.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, markdownTable, overheadPercent, percentile } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.05' },
    seconds: { type: 'string', default: '6' },
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '0' },
  },
});
const RATE_FRACTION = Number(args.rate);
if (!(RATE_FRACTION >= 0 && RATE_FRACTION < 1)) throw new Error(`--rate must be 0 (closed loop) or a fraction below 1, not ${args.rate}`);

const DESIGNS = ['none', 'trigger', 'logical'] as const;
type Design = (typeof DESIGNS)[number];

const databaseOf = (design: Design) => `capture_${design}`;

function serverBinaries(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error(`this benchmark starts its own PostgreSQL cluster and needs the server's binaries (pg_config --bindir): ${(err as Error).message}`, { cause: err });
  }
}
const BINDIR = serverBinaries();
const AS_ROOT = process.getuid?.() === 0;

/** Runs a PostgreSQL server binary, as the `postgres` user when this process is root (initdb refuses root). */
function pgBinary(name: string, argv: string[]): void {
  const [command, commandArgs] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', path.join(BINDIR, name), ...argv]] : [path.join(BINDIR, name), argv];
  const run = spawnSync(command, commandArgs, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${name} ${argv.join(' ')} failed (${run.status}): ${run.stderr || run.stdout}`);
}

interface Cluster {
  url(database: string): string;
  port: number;
  stop(): void;
}

async function startLogicalCluster(): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-capture-designs-'));
  if (AS_ROOT) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  pgBinary('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c wal_level=logical -c max_replication_slots=4 -c max_wal_senders=4`;
  pgBinary('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  let stopped = false;
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        pgBinary('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

interface Turn {
  design: Design;
  tps: number;
  p50: number;
  p99: number;
  transactions: number;
  /** Changes the logical consumer decoded in the turn (logical only). */
  decoded?: number;
}

/** pgbench's per-transaction log lines (client, transaction, latency µs, …), read and removed: logDir holds nothing else. */
function latenciesFrom(logDir: string): number[] {
  const out: number[] = [];
  for (const file of fs.readdirSync(logDir)) {
    for (const line of fs.readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
      const latency = Number(line.split(' ')[2]);
      if (line && Number.isFinite(latency)) out.push(latency / 1000);
    }
    fs.rmSync(path.join(logDir, file));
  }
  return out.sort((a, b) => a - b);
}

/** Runs pgbench as a child process without blocking this one's event loop (the logical design's consumer runs meanwhile). */
async function pgbench(cluster: Cluster, database: string, scriptFile: string, logDir: string, seconds: number, rate?: number): Promise<Omit<Turn, 'design'>> {
  const argv = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-n', '-M', 'prepared',
    '-c', args.clients!, '-j', '2', '-T', String(seconds), '-f', scriptFile, '-l', `--log-prefix=${path.join(logDir, 'tx')}`,
    ...(rate ? ['-R', String(rate)] : []), database];
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('pgbench', argv, { encoding: 'utf8' }, (err, out, stderr) =>
      err ? reject(new Error(`pgbench on ${database} failed: ${stderr || err.message}`)) : resolve(out),
    ),
  );
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const latencies = latenciesFrom(logDir);
  return { tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), transactions: latencies.length };
}

/** A turn of the logical design: a slot for the turn, decoded every 100 ms meanwhile, drained and dropped after. */
async function withDecodingSlot<T>(pool: pg.Pool, work: () => Promise<T>): Promise<{ result: T; decoded: number }> {
  await pool.query(`SELECT pg_create_logical_replication_slot('tandem_bench', 'pgoutput')`);
  let decoded = 0;
  const drain = async () => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_logical_slot_get_binary_changes('tandem_bench', NULL, NULL,
         'proto_version', '1', 'publication_names', 'tandem_bench')`,
    );
    decoded += rows[0]!.n;
  };
  let running = true;
  const consumer = (async () => {
    while (running) {
      await drain();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    running = false;
    await consumer;
    await drain();
    await pool.query(`SELECT pg_drop_replication_slot('tandem_bench')`);
  }
  return { result, decoded };
}

async function main(): Promise<void> {
  const cluster = await startLogicalCluster();
  const onSignal = () => {
    cluster.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  const admin = new pg.Pool({ connectionString: cluster.url('postgres'), max: 1 });
  const pools = new Map<Design, pg.Pool>();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-capture-designs-logs-'));
  const logs = path.join(work, 'logs');
  fs.mkdirSync(logs);
  if (AS_ROOT) execFileSync('chmod', ['0777', work, logs]);
  try {
    printMachine(await describeMachine(admin), `127.0.0.1:${cluster.port} (a private cluster started for this run, wal_level = logical)`);
    process.stdout.write(
      `Capture designs on done's transaction: pgbench -M prepared, ${args.clients} clients, ${args.seconds} s per turn, ${args.rounds} rounds, ` +
        `${RATE_FRACTION > 0 ? `a fixed rate of ${RATE_FRACTION} of none's closed-loop rate` : 'closed loop'}; ` +
        `a private cluster with wal_level = logical; sample scale ${args.scale}; target: none (PostgreSQL only)\n\n`,
    );
    for (const design of DESIGNS) {
      await admin.query(`CREATE DATABASE ${databaseOf(design)}`);
      const pool = new pg.Pool({ connectionString: cluster.url(databaseOf(design)), max: 4 });
      pools.set(design, pool);
      await generateSample(pool, { scale: Number(args.scale), seed: 1 });
      await migrate(pool, DEFAULT_TOOL_SCHEMA);
      if (design === 'trigger') await installCapture(pool, { ...storySiteCapture(), actor: 'bench' });
      if (design === 'logical') await pool.query(`CREATE PUBLICATION tandem_bench FOR ALL TABLES`);
      await pool.query('VACUUM ANALYZE');
    }
    const { rows } = await pools.get('none')!.query<{ id: number }>(`SELECT min(id) AS id FROM story WHERE public AND NOT deleted`);
    const story = rows[0]!.id;
    const scriptFile = path.join(work, 'done.sql');
    // done's transaction as the API runs it for user 1 (the API's reader token in bench/apiLoad.ts).
    fs.writeFileSync(
      scriptFile,
      `BEGIN;
SELECT id FROM story WHERE id = ANY(ARRAY[${story}]::int[]) AND NOT coalesce(deleted, false);
INSERT INTO story_done (story_id, user_id, time) SELECT s, u, now() FROM unnest(ARRAY[${story}]::int[], ARRAY[1]::int[]) AS t(s, u) RETURNING id;
END;
`,
    );
    fs.chmodSync(scriptFile, 0o644);
    const seconds = Number(args.seconds);
    let rate: number | undefined;
    if (RATE_FRACTION > 0) {
      const capacity = await pgbench(cluster, databaseOf('none'), scriptFile, logs, 3);
      rate = Math.max(1, Math.round(capacity.tps * RATE_FRACTION));
      process.stdout.write(`Fixed rate: ${rate} transactions/s (${RATE_FRACTION} of none's ${fixed(capacity.tps, 0)})\n\n`);
    }
    const turns: Turn[] = [];
    for (let round = 0; round < Number(args.rounds); round++) {
      const order = [...DESIGNS.slice(round % 3), ...DESIGNS.slice(0, round % 3)];
      for (const design of order) {
        const run = () => pgbench(cluster, databaseOf(design), scriptFile, logs, seconds, rate);
        if (design === 'logical') {
          const { result, decoded } = await withDecodingSlot(pools.get(design)!, run);
          turns.push({ design, ...result, decoded });
        } else {
          turns.push({ design, ...(await run()) });
        }
      }
    }
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const of = (design: Design, field: 'tps' | 'p50' | 'p99') => median(turns.filter((t) => t.design === design).map((t) => t[field]));
    process.stdout.write(
      markdownTable(
        ['design', 'transactions/s (median)', 'vs none', 'p50 ms', 'p99 ms', 'p99 vs none'],
        DESIGNS.map((d) => [d, fixed(of(d, 'tps'), 0), overheadPercent(of('none', 'tps'), of(d, 'tps')), fixed(of(d, 'p50'), 3), fixed(of(d, 'p99'), 3), overheadPercent(of('none', 'p99'), of(d, 'p99'))]),
      ),
    );
    process.stdout.write('\nEvery turn:\n\n');
    process.stdout.write(
      markdownTable(
        ['design', 'transactions/s', 'p50 ms', 'p99 ms', 'transactions', 'changes decoded'],
        turns.map((t) => [t.design, fixed(t.tps, 0), fixed(t.p50, 3), fixed(t.p99, 3), String(t.transactions), t.decoded === undefined ? '' : String(t.decoded)]),
      ),
    );
    process.stdout.write(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  } finally {
    for (const pool of pools.values()) await pool.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
    cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
