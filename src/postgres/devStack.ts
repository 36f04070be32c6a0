/**
 * `tandem dev` owns the PGlite data directory while it runs (PGlite allows one
 * process per directory), so it leaves a discovery file that other commands read
 * to connect to its wire-protocol port instead of opening the directory themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProcessRunning } from '../core/processes.js';

export interface DevStackInfo {
  pid: number;
  pgUrl: string;
  apiUrl?: string;
  convexUrl?: string;
  /** Admin key of the dev stack's local Convex stand-in (a local file, like the PGlite data). */
  convexAdminKey?: string;
  startedAt: string;
}

export function devStackFile(home: string): string {
  return path.join(home, 'dev.json');
}

/** The running dev stack, or undefined when none is (a stale file is ignored). */
export function readDevStack(home: string): DevStackInfo | undefined {
  let info: DevStackInfo;
  try {
    info = JSON.parse(fs.readFileSync(devStackFile(home), 'utf8')) as DevStackInfo;
  } catch {
    return undefined;
  }
  if (!info.pid || !isProcessRunning(info.pid) || info.pid === process.pid) return undefined;
  return info;
}

/**
 * Written owner-only (0600): it holds the stand-in's admin key. The temporary
 * file is created with that mode (never readable by others, even briefly) and
 * replaces the old file, so an earlier world-readable one is not kept either.
 */
export function writeDevStack(home: string, info: DevStackInfo): void {
  fs.mkdirSync(home, { recursive: true });
  const file = devStackFile(home);
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, JSON.stringify(info, null, 2), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600); // the umask cannot widen it, but a narrower one could have been applied
  fs.renameSync(tmp, file);
}

export function removeDevStack(home: string): void {
  try {
    const info = JSON.parse(fs.readFileSync(devStackFile(home), 'utf8')) as DevStackInfo;
    if (info.pid === process.pid) fs.rmSync(devStackFile(home));
  } catch {
    // already gone
  }
}
