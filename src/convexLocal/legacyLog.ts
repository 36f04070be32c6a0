/**
 * The stand-in's data format before snapshots: `mutations.jsonl`, one line per
 * acknowledged mutation call (function path and arguments), rebuilt at start
 * by running every call again. A data directory in that format is migrated
 * once (recovery.ts): the calls are replayed this one last time, the result is
 * written as a snapshot, and the file is renamed `mutations.jsonl.migrated`.
 */
import fs from 'node:fs';
import path from 'node:path';

export const LEGACY_LOG_FILE = 'mutations.jsonl';
export const MIGRATED_SUFFIX = '.migrated';

export interface LoggedMutation {
  path: string;
  /** Arguments in Convex's JSON encoding (convexToJson). */
  args: unknown;
}

export function legacyLogFile(dataDir: string): string {
  return path.join(dataDir, LEGACY_LOG_FILE);
}

/**
 * Every complete entry in order. A torn last line (a crash mid-append, as the
 * old format allowed) was never acknowledged and is left out.
 */
export function readLegacyLog(dataDir: string): LoggedMutation[] {
  const file = legacyLogFile(dataDir);
  const entries: LoggedMutation[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line) as LoggedMutation);
    } catch {
      break;
    }
  }
  return entries;
}

/** Keeps the old file beside the new data (for inspection); it is never read again. */
export function retireLegacyLog(dataDir: string): void {
  const file = legacyLogFile(dataDir);
  fs.renameSync(file, `${file}${MIGRATED_SUFFIX}`);
}
