/**
 * One stand-in per data directory: a `lock` file holding the owner's pid,
 * created atomically (hard link of a complete temporary file, which fails if
 * the lock exists). A lock whose pid is no longer running (a stand-in that was
 * killed) is taken over at once. Hand-written rather than proper-lockfile,
 * whose staleness is an mtime timeout kept fresh by a timer: a killed
 * stand-in's lock would block a restart for that long, and a stand-in busy
 * loading a large snapshot could miss its refresh and lose the lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessRunning } from '../core/processes.js';
import { DataDirLockedError } from './dataDirErrors.js';

const LOCK_FILE = 'lock';

interface LockContent {
  pid: number;
  host: string;
  startedAt: string;
}

function readOwner(file: string): number | undefined {
  try {
    const content = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockContent>;
    return Number.isInteger(content.pid) ? content.pid : undefined;
  } catch {
    // Missing, or unreadable (a crash while it was written cannot leave one: it is linked whole).
    return undefined;
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data dir for this process, or throws DataDirLockedError naming the running owner. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lockFile = path.join(dataDir, LOCK_FILE);
  const temp = path.join(dataDir, `${LOCK_FILE}.${process.pid}.${Date.now()}.tmp`);
  const content: LockContent = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  fs.writeFileSync(temp, JSON.stringify(content));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(temp, lockFile);
        return {
          release() {
            if (readOwner(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(lockFile);
      if (owner !== undefined && isProcessRunning(owner)) throw new DataDirLockedError(dataDir, owner);
      takeOverStaleLock(lockFile, owner);
    }
    throw new DataDirLockedError(dataDir, readOwner(lockFile) ?? -1);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Moves the dead owner's lock aside under a name of our own (rename is atomic,
 * so of two processes taking over at once only one moves it). If what was
 * moved is no longer the dead owner's lock (another process took over between
 * our read and our rename), it is put back.
 */
function takeOverStaleLock(lockFile: string, deadOwner: number | undefined): void {
  const aside = `${lockFile}.stale.${process.pid}`;
  try {
    fs.renameSync(lockFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (readOwner(aside) !== deadOwner) {
    try {
      fs.linkSync(aside, lockFile);
    } catch {
      // Someone holds the lock again; the next attempt reads who.
    }
  }
  fs.rmSync(aside, { force: true });
}
