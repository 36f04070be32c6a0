/**
 * `tandem dev --sample <scale>` at the story site's real size, as the README
 * states it (issue 13): the compiled CLI started with a fresh home, timed until
 * it serves (the sample data loaded, dev.json written); then `capture install`
 * and `backfill` run against it as a user runs them. Each step's wall time and
 * peak RSS are printed, with the rows and megabytes moved. The backfill copies
 * into the local stand-in (convex-test with the indexed store), **not Convex**.
 *
 * Baseline in the same run: the same three steps at a small scale first, so
 * each larger scale is also given as seconds per 10,000 rows and as a multiple
 * of the small scale's rate (flat means the cost grows with the rows, not
 * faster).
 *
 *   npx tsx bench/devSample.ts [--scales 0.05,1]      (needs `npm run build` first)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mustPass, runCliStep, type Step } from './support/cliSteps.js';
import { freePort } from '../test/support/services.js';
import { statusKiB } from './support/standInProcess.js';

const { values } = parseArgs({ options: { scales: { type: 'string', default: '0.05,1' } } });
const SCALES = values.scales.split(',').map(Number);
if (SCALES.some((s) => !(s > 0))) throw new Error('--scales: comma-separated positive numbers');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin/tandem.js');
const config = path.join(root, 'examples/story-site/tandem.config.json');
const MIRRORED: string[] = JSON.parse(fs.readFileSync(config, 'utf8')).include;

interface ScaleRun {
  scale: number;
  rows: number;
  megabytes: number;
  steps: Step[];
}

async function mirroredSize(url: string): Promise<{ rows: number; megabytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number; mb: number }>(
      `SELECT (${MIRRORED.map((t) => `(SELECT count(*) FROM public.${t})`).join(' + ')})::int AS n,
              round((${MIRRORED.map((t) => `pg_total_relation_size('public.${t}')`).join(' + ')}) / 1048576.0, 1)::float AS mb`,
    );
    return { rows: rows[0]!.n, megabytes: rows[0]!.mb };
  } finally {
    await client.end();
  }
}

async function runScale(scale: number): Promise<ScaleRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-devsample-'));
  const logDir = path.join(home, 'logs');
  fs.mkdirSync(logDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TANDEM_HOME: home,
    TANDEM_CONFIG: config,
    TANDEM_PG_PORT: String(await freePort()),
    TANDEM_API_PORT: String(await freePort()),
    TANDEM_CONVEX_PORT: String(await freePort()),
    TANDEM_LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.CONVEX_URL;
  const devLog = fs.openSync(path.join(logDir, 'dev.log'), 'w');
  const started = performance.now();
  // Not under /usr/bin/time as the other steps: time does not pass SIGTERM on, and dev must stop cleanly.
  const dev = spawn(process.execPath, [cli, 'dev', '--sample', String(scale)], {
    cwd: root,
    env,
    stdio: ['ignore', devLog, devLog],
  });
  const exited = new Promise<number>((resolve) => dev.once('exit', (code) => resolve(code ?? 1)));
  let devExit: number | undefined;
  void exited.then((code) => (devExit = code));
  try {
    const stackFile = path.join(home, 'dev.json');
    // Not waitFor: it treats a throwing check as "not yet", and a dev that died must end the run at once.
    while (!fs.existsSync(stackFile)) {
      if (devExit !== undefined) throw new Error(`dev exited ${devExit}:\n${fs.readFileSync(path.join(logDir, 'dev.log'), 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const serving: Step = { step: `dev --sample ${scale} (serving)`, seconds: (performance.now() - started) / 1000, peakMiB: NaN, exitCode: 0 };
    const { pgUrl } = JSON.parse(fs.readFileSync(stackFile, 'utf8')) as { pgUrl: string };
    const size = await mirroredSize(pgUrl);
    const install = mustPass(await runCliStep(cli, ['capture', 'install'], env, root, logDir, 'capture-install'), logDir);
    const backfill = mustPass(await runCliStep(cli, ['backfill'], env, root, logDir, 'backfill'), logDir);
    const devPeak = statusKiB(dev.pid!, 'VmHWM') / 1024;
    dev.kill('SIGTERM');
    await exited;
    return { scale, ...size, steps: [{ ...serving, peakMiB: devPeak }, install, backfill] };
  } finally {
    if (devExit === undefined) dev.kill('SIGKILL');
    fs.closeSync(devLog);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist/src/cli/main.js'))) throw new Error('run `npm run build` first (the bench runs the compiled CLI)');
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for peak RSS');
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, node ${process.version}`);
  console.log(`load average before (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('Convex target: the local stand-in (tandem dev runs convex-test with the indexed store), not Convex; PostgreSQL: embedded PGlite\n');
  const runs: ScaleRun[] = [];
  for (const scale of SCALES) runs.push(await runScale(scale));
  const base = runs[0]!;
  const perTenK = (run: ScaleRun, i: number) => (run.steps[i]!.seconds / run.rows) * 10_000;
  console.log('| scale | rows | MB in Postgres | dev serving s (dev peak MiB) | capture install s | backfill s (peak MiB) | total s | backfill s per 10k rows | vs first scale |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const run of runs) {
    const [serving, install, backfill] = run.steps as [Step, Step, Step];
    const total = serving.seconds + install.seconds + backfill.seconds;
    console.log(
      `| ${run.scale} | ${run.rows} | ${run.megabytes} | ${serving.seconds.toFixed(1)} (${serving.peakMiB.toFixed(0)}) | ${install.seconds.toFixed(1)} | ` +
        `${backfill.seconds.toFixed(1)} (${backfill.peakMiB.toFixed(0)}) | ${total.toFixed(1)} | ${perTenK(run, 2).toFixed(2)} | ${(perTenK(run, 2) / perTenK(base, 2)).toFixed(2)}× |`,
    );
  }
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
