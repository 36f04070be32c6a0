/**
 * `tandem convex-local` as a child process, SIGKILLed at random moments while
 * concurrent clients drive mutations over HTTP: in the middle of mutations,
 * while a compaction is writing its snapshot, and while a restart is loading
 * the data dir. After every restart, each client's acknowledged mutations are
 * all there, and the one in flight at the kill is wholly there or wholly
 * absent (stepApp.ts makes the state an exact function of each client's
 * count). SIGTERM under load and during loading stops it cleanly (how fast is
 * the benchmark's figure, not an assertion here: this machine's speed varies).
 * Every wait is for a state (progress made, a snapshot being written), never
 * for a duration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../support/random.js';
import { ADMIN_KEY, callStandIn, expectDriverState, makeStepAppDir } from './stepApp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/tandem.js');
const PAYLOAD = 300;
const DRIVERS = Array.from({ length: 8 }, (_, i) => `d${i}`);

let convexDir: string;
let dataDir: string;
const children = new Set<ChildProcess>();

beforeAll(() => {
  convexDir = makeStepAppDir();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-crash-'));
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface StandIn {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
  /** Resolves with the first match of `pattern` in stdout or stderr. */
  until(pattern: RegExp): Promise<RegExpMatchArray>;
}

function spawnStandIn(): StandIn {
  const child = spawn(
    process.execPath,
    [cli, 'convex-local', '--convex-dir', convexDir, '--port', '0', '--admin-key', ADMIN_KEY, '--data-dir', dataDir,
      '--compact-at', '8192', '--compact-ratio', '0.25'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  const watchers: Array<() => void> = [];
  const onData = () => watchers.forEach((w) => w());
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), onData()));
  child.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), onData()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    until(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern) ?? stderr.match(pattern);
          if (m) resolve(m);
        };
        watchers.push(check);
        check();
        void exited.then(() => reject(new Error(`exited before ${pattern}:\n${stdout}\n${stderr}`)));
      });
    },
  };
}

/** Each driver steps as fast as it is answered until a call fails (the kill); returns nothing, records acks. */
function driveUntilDown(url: string, acknowledged: Record<string, number>): Promise<void> {
  return Promise.all(
    DRIVERS.map(async (driver) => {
      for (;;) {
        const next = acknowledged[driver]! + 1;
        try {
          await callStandIn(url, 'mutation', 'steps:step', { driver, step: next, payloadBytes: PAYLOAD });
        } catch {
          return;
        }
        acknowledged[driver] = next;
      }
    }),
  ).then(() => undefined);
}

/** Checks every driver exactly, then continues from what is there (the unacknowledged step may have landed). */
async function verify(url: string, acknowledged: Record<string, number>): Promise<void> {
  for (const driver of DRIVERS) {
    const state = (await callStandIn(url, 'query', 'steps:state', { driver })) as { count: number; items: never[] };
    expectDriverState(driver, state, acknowledged[driver]!, PAYLOAD);
    acknowledged[driver] = state.count;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a state, not a duration: the test's own timeout bounds it. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(1);
}

describe('convex-local killed at random moments', () => {
  it('loses no acknowledged mutation and never keeps half of one', async () => {
    const random = seededRandom(20_240_613);
    const acknowledged = Object.fromEntries(DRIVERS.map((d) => [d, 0]));
    const kinds = ['mutations', 'compaction', 'load', 'mutations', 'compaction', 'load', 'mutations'] as const;
    let killedDuringCompaction = 0;
    for (const kind of kinds) {
      const standIn = spawnStandIn();
      if (kind === 'load') {
        // Killed while it loads what the earlier rounds wrote.
        await standIn.until(/loading the data dir/);
        await sleep(random() * 20);
        standIn.child.kill('SIGKILL');
        await standIn.exited;
        continue;
      }
      const url = (await standIn.until(/CONVEX_URL=(\S+)/))[1]!;
      await verify(url, acknowledged);
      const before = { ...acknowledged };
      const driving = driveUntilDown(url, acknowledged);
      if (kind === 'compaction') {
        // The low --compact-at makes compactions frequent: kill while one writes its snapshot.
        await waitFor(() => fs.existsSync(path.join(dataDir, 'snapshot.bin.tmp')));
        killedDuringCompaction += 1;
      } else {
        // Every driver has made progress this round, then a random moment.
        await waitFor(() => DRIVERS.every((d) => acknowledged[d]! >= before[d]! + 3));
        await sleep(random() * 200);
      }
      standIn.child.kill('SIGKILL');
      await standIn.exited;
      await driving;
    }
    const last = spawnStandIn();
    const url = (await last.until(/CONVEX_URL=(\S+)/))[1]!;
    await verify(url, acknowledged);
    expect(killedDuringCompaction).toBe(2);
    // The rounds did real work: every driver got through several steps.
    expect(Math.min(...Object.values(acknowledged))).toBeGreaterThanOrEqual(9);

    // SIGTERM under load: a clean stop (no deadline exit), and nothing acknowledged is lost.
    const progress = { ...acknowledged };
    const driving = driveUntilDown(url, acknowledged);
    await waitFor(() => DRIVERS.every((d) => acknowledged[d]! >= progress[d]! + 2));
    last.child.kill('SIGTERM');
    expect(await last.exited).toEqual({ code: 0, signal: null });
    await driving;

    // SIGTERM while loading: it stops without serving, and the data is intact.
    const loading = spawnStandIn();
    await loading.until(/loading the data dir/);
    loading.child.kill('SIGTERM');
    expect(await loading.exited).toEqual({ code: 0, signal: null });
    expect(loading.output().stdout).not.toContain('CONVEX_URL=');

    const after = spawnStandIn();
    await verify((await after.until(/CONVEX_URL=(\S+)/))[1]!, acknowledged);
    after.child.kill('SIGTERM');
    await after.exited;
  }, 240_000);
});
