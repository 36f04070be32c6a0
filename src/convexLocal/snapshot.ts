/**
 * The stand-in's snapshot: every committed document at one point, and the
 * number of the log segment that continues from that point. Written in the
 * background while mutations go on (streamed in chunks to a temporary file,
 * fsynced, renamed over the old one, directory fsynced), so at every instant
 * the directory holds one whole snapshot or none. Records (recordFile.ts):
 * a header, chunks of documents in Convex's JSON encoding, and a trailer with
 * the document count and a CRC-32 over every earlier record's payload; a
 * snapshot missing its trailer, or with any bad record, is refused whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import { CorruptDataError, LoadAbortedError } from './dataDirErrors.js';
import { encodeRecord, readRecords } from './recordFile.js';
import type { StoreCounters, StoredDocument } from './storeAccess.js';

export const SNAPSHOT_FILE = 'snapshot.bin';
const TEMP_FILE = 'snapshot.bin.tmp';
const FORMAT = 'tandem-convex-local-snapshot';
const VERSION = 1;
const DOCUMENTS_PER_RECORD = 1000;
const WRITE_BYTES = 4 * 1024 * 1024;

interface SnapshotHeader {
  format: typeof FORMAT;
  version: number;
  /** The first log segment whose records come after this snapshot. */
  logSegment: number;
  counters: StoreCounters;
  documents: number;
  createdAt: string;
}

interface SnapshotTrailer {
  end: true;
  documents: number;
  checksum: number;
}

export interface SnapshotInfo {
  logSegment: number;
  counters: StoreCounters;
  documents: number;
  bytes: number;
}

/**
 * Convex's JSON encoding changes only values JSON cannot hold (int64, bytes,
 * special floats), each as an object with one `$`-prefixed key; document field
 * names never start with `$`. So a payload with no `"$` in it decodes to
 * itself, and the per-value walk of jsonToConvex is skipped (most of a
 * restart's time otherwise).
 */
export function decodeDocuments(payload: Buffer, parsed: unknown[]): StoredDocument[] {
  if (!payload.includes('"$')) return parsed as StoredDocument[];
  return parsed.map((json) => jsonToConvex(json as never) as StoredDocument);
}

/** fsync a directory, so a file created or renamed in it survives a crash. */
export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes a temporary snapshot left by a crash while one was written. */
export function removeTempSnapshot(dataDir: string): void {
  fs.rmSync(path.join(dataDir, TEMP_FILE), { force: true });
}

/**
 * Writes `documents` as the data dir's snapshot, then makes it the current one
 * atomically. `beforeInstall` runs after the new file is durable and before the
 * rename (the caller waits there for the log records the snapshot covers).
 * Aborting removes the temporary file and keeps the old snapshot.
 */
export async function writeSnapshot(
  dataDir: string,
  snapshot: { documents: StoredDocument[]; counters: StoreCounters; logSegment: number },
  options: { signal?: AbortSignal; beforeInstall?: () => Promise<void> } = {},
): Promise<SnapshotInfo> {
  const temp = path.join(dataDir, TEMP_FILE);
  const handle = await fs.promises.open(temp, 'w');
  let checksum = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const add = (payload: Buffer, countInChecksum: boolean) => {
    if (countInChecksum) checksum = zlib.crc32(payload, checksum);
    const record = encodeRecord(payload);
    pending.push(record);
    pendingBytes += record.length;
  };
  const flush = async () => {
    const chunk = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    await handle.write(chunk);
    bytes += chunk.length;
  };
  try {
    const header: SnapshotHeader = {
      format: FORMAT,
      version: VERSION,
      logSegment: snapshot.logSegment,
      counters: snapshot.counters,
      documents: snapshot.documents.length,
      createdAt: new Date().toISOString(),
    };
    add(Buffer.from(JSON.stringify(header)), true);
    for (let start = 0; start < snapshot.documents.length; start += DOCUMENTS_PER_RECORD) {
      const chunk = snapshot.documents.slice(start, start + DOCUMENTS_PER_RECORD);
      add(Buffer.from(JSON.stringify(chunk.map((doc) => convexToJson(doc as Value)))), true);
      if (pendingBytes >= WRITE_BYTES) {
        if (options.signal?.aborted) throw new LoadAbortedError();
        await flush();
      }
    }
    const trailer: SnapshotTrailer = { end: true, documents: snapshot.documents.length, checksum };
    add(Buffer.from(JSON.stringify(trailer)), false);
    await flush();
    await handle.sync();
    await handle.close();
    if (options.signal?.aborted) throw new LoadAbortedError();
    await options.beforeInstall?.();
    fs.renameSync(temp, path.join(dataDir, SNAPSHOT_FILE));
    syncDirectory(dataDir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return { logSegment: snapshot.logSegment, counters: snapshot.counters, documents: snapshot.documents.length, bytes };
}

/**
 * Reads the data dir's snapshot, handing its documents to `onDocuments` chunk
 * by chunk; undefined when there is none. Any damage throws CorruptDataError
 * naming the file and offset: a snapshot is installed only when whole, so a
 * bad one is never a torn write, and no part of it is trusted.
 */
export async function readSnapshot(
  dataDir: string,
  onDocuments: (documents: StoredDocument[]) => void | Promise<void>,
): Promise<SnapshotInfo | undefined> {
  const file = path.join(dataDir, SNAPSHOT_FILE);
  if (!fs.existsSync(file)) return undefined;
  let header: SnapshotHeader | undefined;
  let trailer: SnapshotTrailer | undefined;
  let checksum = 0;
  let documents = 0;
  const result = await readRecords(file, async (payload, offset) => {
    const fail = (reason: string) => new CorruptDataError(file, offset, reason);
    if (trailer) throw fail('a record after the trailer');
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      throw fail('a record that is not JSON');
    }
    if (!header) {
      header = parsed as SnapshotHeader;
      if (header?.format !== FORMAT || header.version !== VERSION) {
        throw fail(`not a ${FORMAT} version ${VERSION} header`);
      }
    } else if (!Array.isArray(parsed)) {
      trailer = parsed as SnapshotTrailer;
      if (trailer.end !== true) throw fail('a record that is neither documents nor the trailer');
      if (trailer.checksum !== checksum) throw fail('the snapshot checksum does not match its records');
      if (trailer.documents !== documents || header.documents !== documents) {
        throw fail(`${documents} documents where the snapshot says ${trailer.documents}`);
      }
      return;
    } else {
      documents += parsed.length;
      await onDocuments(decodeDocuments(payload, parsed));
    }
    checksum = zlib.crc32(payload, checksum);
  });
  if (result.bad) throw new CorruptDataError(file, result.bad.offset, `a ${result.bad.problem} record`);
  if (!header || !trailer) throw new CorruptDataError(file, result.goodBytes, 'the snapshot ends before its trailer');
  return { logSegment: header.logSegment, counters: header.counters, documents, bytes: result.fileBytes };
}
