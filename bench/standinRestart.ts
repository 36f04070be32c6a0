/**
 * Restart of the local Convex stand-in (`tandem convex-local`, NOT Convex)
 * with N story_done-sized documents: time from process start until it serves,
 * RSS once serving and at peak, and how long SIGTERM takes to stop it in the
 * middle of loading. The data dir is written directly in the stand-in's own
 * format (a snapshot of N documents, then a log tail of updates), as a long
 * run would have left it; the stand-in is the compiled CLI (dist/), run as a
 * user runs it. Baseline, measured in the same run: the same start on an
 * empty data dir (bundling the Convex folder, convex-test, the HTTP server),
 * so `load` = start − empty start; and each size's figures as a ratio of the
 * first size's.
 *
 * Store: plain convex-test's in-memory database (storeAccess.ts); loading
 * does not query, so its O(n) index scans do not enter these figures.
 *
 *   npm run bench:standin-restart -- [--docs 100000,1000000] [--log-records 10000]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EffectLog, encodeEffects } from '../src/convexLocal/effectLog.js';
import { writeSnapshot } from '../src/convexLocal/snapshot.js';
import type { StoreCounters, StoredDocument } from '../src/convexLocal/storeAccess.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000,1000000' },
    'log-records': { type: 'string', default: '10000' },
  },
});
const SIZES = values.docs.split(',').map(Number);
const LOG_RECORDS = Number(values['log-records']);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin/tandem.js');
const TABLE = 'story_done';
const FIRST_ID = 10_000;

/** convex-test's id format: a zero-padded counter then the table name, 32 characters. */
const idOf = (n: number) => String(FIRST_ID + n).padStart(32 - TABLE.length, '0') + TABLE;

/** A story_done document as the mirror writes it (Postgres columns, key, version, system fields). */
function storyDone(n: number, version: number): StoredDocument {
  return {
    _id: idOf(n),
    _creationTime: 1_700_000_000_000 + n,
    id: n + 1,
    user_id: n % 7 === 0 ? null : 1 + (n % 5000),
    story_id: 1 + (n % 300),
    time: 1_600_000_000_000 + n * 1000,
    pgKey: String(n + 1),
    pgVersion: version,
  };
}

async function writeDataDir(dataDir: string, docs: number): Promise<void> {
  const documents = Array.from({ length: docs }, (_, n) => storyDone(n, 1));
  const counters: StoreCounters = {
    nextDocId: FIRST_ID + docs,
    lastCreationTime: 1_700_000_000_000 + docs,
    lastCommitTs: '0',
  };
  fs.closeSync(fs.openSync(path.join(dataDir, 'log-0000000001.bin'), 'a'));
  await writeSnapshot(dataDir, { documents, counters, logSegment: 1 });
  // The log tail: updates of existing documents since the snapshot (a live mirror's writes).
  const log = new EffectLog(dataDir, 1, 0);
  for (let i = 0; i < LOG_RECORDS; i++) {
    const n = (i * 7919) % docs;
    log.append(encodeEffects({ writes: [[idOf(n), storyDone(n, 2 + i)]], counters }));
  }
  await log.waitDurable();
  await log.close();
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

interface Start {
  seconds: number;
  rssMiB: number;
  peakMiB: number;
  banner: string;
}

/** Starts the compiled stand-in on `dataDir`; times it until it serves, reads its memory, stops it. */
function startStandIn(dataDir: string): Promise<Start> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, 'convex-local', '--convex-dir', STORY_SITE_CONVEX_DIR, '--port', '0', '--admin-key', 'bench-key', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('CONVEX_URL=')) return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const start = {
        seconds,
        rssMiB: statusKiB(child.pid!, 'VmRSS') / 1024,
        peakMiB: statusKiB(child.pid!, 'VmHWM') / 1024,
        banner: out.split('\n').find((l) => l.includes('data dir:'))?.trim() ?? '',
      };
      child.kill('SIGTERM');
      child.on('exit', () => resolve(start));
    });
    child.on('exit', (code) => {
      if (!out.includes('CONVEX_URL=')) reject(new Error(`stand-in exited ${code} before serving:\n${out}${err}`));
    });
  });
}

/** Sends SIGTERM `afterMs` after loading began; resolves with how long it took to exit, and what it printed. */
function stopDuringLoad(dataDir: string, afterMs: number): Promise<{ ms: number; stoppedWhileLoading: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'convex-local', '--convex-dir', STORY_SITE_CONVEX_DIR, '--port', '0', '--admin-key', 'bench-key', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let sent = 0n;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (sent === 0n && err.includes('loading the data dir')) {
        sent = -1n;
        setTimeout(() => {
          sent = process.hrtime.bigint();
          child.kill('SIGTERM');
        }, afterMs);
      }
    });
    child.on('exit', () =>
      resolve({ ms: Number(process.hrtime.bigint() - sent) / 1e6, stoppedWhileLoading: out.includes('stopped while loading') }),
    );
  });
}

const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-restart-empty-'));
console.log(`stand-in restart (tandem convex-local, compiled; NOT Convex); store: plain convex-test; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()}`);
const empty = await startStandIn(emptyDir);
console.log(`empty data dir (baseline): serving after ${empty.seconds.toFixed(2)} s, RSS ${empty.rssMiB.toFixed(0)} MiB`);
let first: { load: number; rss: number } | undefined;
for (const docs of SIZES) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-restart-'));
  try {
    const t = Date.now();
    await writeDataDir(dataDir, docs);
    const bytes = fs.readdirSync(dataDir).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
    console.log(`\n${docs} documents + ${LOG_RECORDS} log records: data dir ${(bytes / 2 ** 20).toFixed(0)} MiB, written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const start = await startStandIn(dataDir);
    const load = start.seconds - empty.seconds;
    first ??= { load, rss: start.rssMiB };
    console.log(`  ${start.banner}`);
    console.log(
      `  serving after ${start.seconds.toFixed(2)} s (load ≈ ${load.toFixed(2)} s, ${(load / first.load).toFixed(2)}× the first size); ` +
        `RSS ${start.rssMiB.toFixed(0)} MiB serving, peak ${start.peakMiB.toFixed(0)} MiB (${(start.rssMiB / first.rss).toFixed(2)}× the first size)`,
    );
    const stop = await stopDuringLoad(dataDir, Math.min(1000, (load * 1000) / 2));
    console.log(`  SIGTERM ${Math.min(1000, (load * 1000) / 2).toFixed(0)} ms into loading: exited after ${stop.ms.toFixed(0)} ms (${stop.stoppedWhileLoading ? 'stopped while loading' : 'had already finished loading'})`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
fs.rmSync(emptyDir, { recursive: true, force: true });
