/**
 * Start-up: loads the snapshot and the log segments after it into the store,
 * without running any function. Everything is checked before anything is
 * loaded into the store (documents are gathered first, then imported), so a
 * damaged file refuses the start instead of leaving half a state. The one
 * damage a crash can cause, a record torn at the end of the newest segment
 * (its fsync never returned, so it was never acknowledged), is cut off with a
 * warning saying what was dropped. Work is done in chunks that yield to the
 * event loop, so SIGTERM/SIGINT (via `signal`) stop a long load promptly.
 */
import fs from 'node:fs';
import type { ConvexBackend } from '../convex/convexBackend.js';
import type { Logger } from '../log.js';
import { CorruptDataError, throwIfAborted } from './dataDirErrors.js';
import { decodeEffects, listSegments, segmentFile } from './effectLog.js';
import { legacyLogFile, readLegacyLog, retireLegacyLog } from './legacyLog.js';
import { readRecords } from './recordFile.js';
import { readSnapshot, removeTempSnapshot, SNAPSHOT_FILE, syncDirectory, writeSnapshot } from './snapshot.js';
import { exportDocuments, loadDocuments, type StoreCounters, type StoredDocument } from './storeAccess.js';

export interface LoadReport {
  /** Documents in the store after loading. */
  documents: number;
  snapshotDocuments: number;
  /** Log records (committed transactions) applied after the snapshot. */
  logRecords: number;
  /** A torn, never-acknowledged record cut off the end of the log. */
  droppedTail?: { file: string; offset: number; bytes: number };
  /** Calls replayed from an old-format mutations.jsonl, migrated to a snapshot. */
  migratedMutations?: number;
}

export interface LoadedDataDir {
  report: LoadReport;
  /** The segment new records go to. */
  nextSegment: number;
  /** Bytes of log after the snapshot, and the snapshot's size: what compaction weighs. */
  logBytes: number;
  snapshotBytes: number;
}

export interface LoadOptions {
  dataDir: string;
  backend: ConvexBackend;
  logger: Logger;
  signal?: AbortSignal;
  /** Runs one old-format logged call (only for migrating a mutations.jsonl). */
  replayLegacy: (path: string, args: unknown) => Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How long loading may hold the event loop before it lets a signal handler run. */
const MAX_BUSY_MS = 20;

/** Returns a function that yields to the event loop once MAX_BUSY_MS have passed since it last did. */
function pacer(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < MAX_BUSY_MS) return;
    await yieldToEventLoop();
    since = performance.now();
  };
}

export async function loadDataDir(options: LoadOptions): Promise<LoadedDataDir> {
  const { dataDir, signal } = options;
  removeTempSnapshot(dataDir);
  if (fs.existsSync(legacyLogFile(dataDir))) {
    const migrated = await migrateLegacy(options);
    if (migrated) return migrated;
  }
  const documents = new Map<string, StoredDocument>();
  let counters: StoreCounters = { nextDocId: 0, lastCreationTime: 0, lastCommitTs: '0' };
  const pace = pacer();
  const snapshot = await readSnapshot(dataDir, async (docs) => {
    throwIfAborted(signal);
    for (const doc of docs) documents.set(doc._id, doc);
    await pace();
  });
  if (snapshot) counters = snapshot.counters;
  const firstSegment = snapshot?.logSegment ?? 1;
  const segments = listSegments(dataDir);
  // Leftovers of a compaction that installed its snapshot but was stopped before deleting them.
  for (const old of segments.filter((s) => s < firstSegment)) fs.rmSync(segmentFile(dataDir, old));
  const tail = segments.filter((s) => s >= firstSegment);
  tail.forEach((segment, i) => {
    if (segment !== firstSegment + i) {
      throw new CorruptDataError(segmentFile(dataDir, firstSegment + i), 0, 'this log segment is missing');
    }
  });
  if (snapshot && tail.length === 0) {
    throw new CorruptDataError(segmentFile(dataDir, firstSegment), 0, `this log segment, which ${SNAPSHOT_FILE} names as its continuation, is missing`);
  }
  const report: LoadReport = { documents: 0, snapshotDocuments: snapshot?.documents ?? 0, logRecords: 0 };
  let logBytes = 0;
  for (const [i, segment] of tail.entries()) {
    const file = segmentFile(dataDir, segment);
    const result = await readRecords(file, async (payload, offset) => {
      await pace();
      throwIfAborted(signal);
      let effects;
      try {
        effects = decodeEffects(payload);
      } catch {
        throw new CorruptDataError(file, offset, 'a record with a valid checksum that is not a log record');
      }
      for (const [id, doc] of effects.writes) {
        if (doc === null) documents.delete(id);
        else documents.set(id, doc);
      }
      counters = effects.counters;
      report.logRecords += 1;
    });
    if (result.bad) {
      const newest = i === tail.length - 1;
      if (!newest || result.bad.wholeRecordsAfter) {
        throw new CorruptDataError(file, result.bad.offset, `a ${result.bad.problem} record${result.bad.wholeRecordsAfter ? ' with whole records after it' : ' in a segment that is not the newest'}`);
      }
      throwIfAborted(signal);
      cutTornTail(file, result.goodBytes);
      report.droppedTail = { file, offset: result.goodBytes, bytes: result.fileBytes - result.goodBytes };
      options.logger.warn(
        report.droppedTail,
        `dropped ${report.droppedTail.bytes} bytes at offset ${result.goodBytes} of ${file}: a log record torn by a crash while it was written (never acknowledged)`,
      );
    }
    logBytes += result.goodBytes;
  }
  await loadDocuments(options.backend, documents.values(), counters, async () => {
    await pace();
    throwIfAborted(signal);
  });
  report.documents = documents.size;
  return {
    report,
    nextSegment: (tail.at(-1) ?? firstSegment - 1) + 1,
    logBytes,
    snapshotBytes: snapshot?.bytes ?? 0,
  };
}

function cutTornTail(file: string, goodBytes: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.ftruncateSync(fd, goodBytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An old-format data dir: replays its mutations.jsonl through the functions
 * one last time and writes the result as a snapshot. The snapshot is installed
 * before the old file is renamed, so a crash in between leaves a snapshot and
 * the old file: the old file is then only renamed (undefined is returned and
 * the snapshot is loaded as usual).
 */
async function migrateLegacy(options: LoadOptions): Promise<LoadedDataDir | undefined> {
  const { dataDir, signal } = options;
  if (fs.existsSync(`${dataDir}/${SNAPSHOT_FILE}`)) {
    retireLegacyLog(dataDir);
    return undefined;
  }
  if (listSegments(dataDir).length > 0) {
    throw new CorruptDataError(
      legacyLogFile(dataDir),
      0,
      'an old-format log beside new-format log segments and no snapshot; move one of them away',
    );
  }
  const entries = readLegacyLog(dataDir);
  options.logger.info({ dataDir, mutations: entries.length }, 'migrating an old-format data dir: replaying mutations.jsonl once');
  for (const [i, entry] of entries.entries()) {
    throwIfAborted(signal);
    await options.replayLegacy(entry.path, entry.args);
    if (i % 100 === 99) await yieldToEventLoop();
  }
  const { documents, counters } = exportDocuments(options.backend);
  // The segment the snapshot names exists before the snapshot does.
  fs.closeSync(fs.openSync(segmentFile(dataDir, 1), 'a'));
  const info = await writeSnapshot(dataDir, { documents, counters, logSegment: 1 }, { signal });
  retireLegacyLog(dataDir);
  syncDirectory(dataDir);
  return {
    report: { documents: documents.length, snapshotDocuments: documents.length, logRecords: 0, migratedMutations: entries.length },
    nextSegment: 2,
    logBytes: 0,
    snapshotBytes: info.bytes,
  };
}
