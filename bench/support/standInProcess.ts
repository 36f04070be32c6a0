/**
 * The local stand-in (`tandem convex-local`, NOT Convex) as a user runs it:
 * the compiled CLI (dist/, `npm run build`) in a process of its own, on a
 * data dir. Benchmarks start it, time it until it serves (it prints
 * `CONVEX_URL=` then), read its memory from /proc, and stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/tandem.js');
export const STAND_IN_ADMIN_KEY = 'bench-key';

export function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export interface RunningStandIn {
  url: string;
  /** From spawn until it printed its URL. */
  seconds: number;
  rssMiB: number;
  peakMiB: number;
  /** The line saying what it loaded from the data dir. */
  banner: string;
  child: ChildProcess;
  /** RSS and peak RSS now. */
  memory(): { rssMiB: number; peakMiB: number };
  /** Its CPU seconds so far. */
  cpuSeconds(): number;
  /** SIGTERM, resolved when it has exited. */
  stop(): Promise<void>;
}

export function spawnStandIn(dataDir: string): ChildProcess {
  return spawn(
    process.execPath,
    [cli, 'convex-local', '--convex-dir', STORY_SITE_CONVEX_DIR, '--port', '0', '--admin-key', STAND_IN_ADMIN_KEY, '--data-dir', dataDir],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Starts the compiled stand-in on `dataDir` and resolves once it serves. */
export function startStandIn(dataDir: string): Promise<RunningStandIn> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawnStandIn(dataDir);
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      if (out.includes('CONVEX_URL=')) return;
      out += d.toString();
      const match = /CONVEX_URL=(\S+)/.exec(out);
      if (!match) return;
      const memory = () => ({
        rssMiB: statusKiB(child.pid!, 'VmRSS') / 1024,
        peakMiB: statusKiB(child.pid!, 'VmHWM') / 1024,
      });
      resolve({
        url: match[1]!,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        ...memory(),
        banner: out.split('\n').find((l) => l.includes('data dir:'))?.trim() ?? '',
        child,
        memory,
        cpuSeconds: () => cpuSeconds(child.pid!),
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.on('exit', (code) => {
      if (!out.includes('CONVEX_URL=')) reject(new Error(`stand-in exited ${code} before serving:\n${out}${err}`));
    });
  });
}
