/**
 * Durability for the local stand-in, proportional to its data rather than its
 * history. convex-test keeps documents in memory; this keeps on disk a
 * snapshot of them (snapshot.ts) and a log of each committed transaction's
 * effects since (effectLog.ts), captured at commit through storeAccess.ts.
 * Start-up loads both without running functions (recovery.ts). When the log
 * outgrows the snapshot, a new snapshot is written in the background from a
 * consistent point (the documents' references and a log rotation, taken
 * together between two commits) and the older log is deleted.
 *
 * Acknowledgement: the server answers a call only after `durable()`, i.e. the
 * fsync covering every commit made so far, so an acknowledged mutation
 * survives SIGKILL, and one that was not acknowledged is either wholly in the
 * log or not at all (a record is one transaction, checksummed).
 */
import fs from 'node:fs';
import type { ConvexBackend } from '../convex/convexBackend.js';
import type { Logger } from '../log.js';
import { lockDataDir } from './dataDirLock.js';
import { LoadAbortedError } from './dataDirErrors.js';
import { EffectLog, encodeEffects } from './effectLog.js';
import { loadDataDir, type LoadReport } from './recovery.js';
import { writeSnapshot } from './snapshot.js';
import { exportDocuments, onCommit } from './storeAccess.js';

export interface CompactionOptions {
  /** No compaction while the log after the snapshot is smaller than this. */
  minLogBytes: number;
  /** Compact once the log after the snapshot is this many times the snapshot's size. */
  logToSnapshotRatio: number;
}

export const DEFAULT_COMPACTION: CompactionOptions = { minLogBytes: 64 * 1024 * 1024, logToSnapshotRatio: 1 };

export interface PersistenceOptions {
  dataDir: string;
  backend: ConvexBackend;
  logger: Logger;
  /** Aborting stops a load in progress (LoadAbortedError); nothing is changed on disk. */
  signal?: AbortSignal;
  compaction?: Partial<CompactionOptions>;
  replayLegacy: (path: string, args: unknown) => Promise<void>;
}

/** Counts since start: records per fsync shows group commit at work. */
export interface DurabilityStats {
  logRecords: number;
  fsyncs: number;
  compactions: number;
}

export interface Persistence {
  loaded: LoadReport;
  stats(): DurabilityStats;
  /** Resolves once every transaction committed so far is on disk. */
  durable(): Promise<void>;
  /** Starts a background compaction if the log has grown past the threshold. */
  compactIfDue(): void;
  /** Compacts now (or waits for the one running). */
  compact(): Promise<void>;
  close(): Promise<void>;
}

export async function openPersistence(options: PersistenceOptions): Promise<Persistence> {
  const { dataDir, backend, logger } = options;
  const compaction = { ...DEFAULT_COMPACTION, ...options.compaction };
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  logger.info({ dataDir }, 'convex-local: loading the data dir');
  let log: EffectLog;
  let loaded: Awaited<ReturnType<typeof loadDataDir>>;
  try {
    loaded = await loadDataDir({ dataDir, backend, logger, signal: options.signal, replayLegacy: options.replayLegacy });
    log = new EffectLog(dataDir, loaded.nextSegment, loaded.logBytes);
  } catch (err) {
    lock.release();
    throw err;
  }
  onCommit(backend, (effects) => log.append(encodeEffects(effects)));

  let snapshotBytes = loaded.snapshotBytes;
  let running: Promise<void> | undefined;
  let closed = false;
  let compactions = 0;
  const stopCompaction = new AbortController();

  async function compactOnce(): Promise<void> {
    // Between two commits: the references are the state after exactly the records appended so far.
    const { documents, counters } = exportDocuments(backend);
    const covered = log.appended;
    const bytesBefore = log.bytesSinceSnapshot;
    const segment = log.rotate();
    const info = await writeSnapshot(
      dataDir,
      { documents, counters, logSegment: segment },
      // Never install a snapshot holding effects whose own log record is not yet durable.
      { signal: stopCompaction.signal, beforeInstall: () => log.waitDurable(covered) },
    );
    snapshotBytes = info.bytes;
    compactions += 1;
    log.dropSegmentsBefore(segment, log.bytesSinceSnapshot - bytesBefore);
    logger.info({ dataDir, documents: info.documents, snapshotBytes: info.bytes, logSegment: segment }, 'convex-local: compacted');
  }

  function compact(): Promise<void> {
    if (closed) return Promise.resolve();
    running ??= compactOnce()
      .catch((err: unknown) => {
        if (!(err instanceof LoadAbortedError)) logger.error({ err, dataDir }, 'convex-local: compaction failed; the log is kept');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    loaded: loaded.report,
    stats: () => ({ logRecords: log.appended, fsyncs: log.syncs, compactions }),
    durable: () => log.waitDurable(),
    compactIfDue() {
      const threshold = Math.max(compaction.minLogBytes, compaction.logToSnapshotRatio * snapshotBytes);
      if (!running && log.bytesSinceSnapshot >= threshold) void compact();
    },
    compact,
    async close() {
      if (closed) return;
      closed = true;
      stopCompaction.abort();
      await running;
      await log.close();
      lock.release();
    },
  };
}
