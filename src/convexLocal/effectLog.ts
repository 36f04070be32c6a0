/**
 * The stand-in's log: one record per committed transaction with its effects
 * (each written document, or its deletion, and the id counters), appended to
 * numbered segment files. Group commit: records appended while an fsync is in
 * flight wait for the next write+fsync together, so many concurrent mutations
 * share one fsync, and each is acknowledged only once the fsync that covers it
 * has returned (`waitDurable`). Records reach disk in append order, so the
 * durable log is always a prefix of what ran. A compaction starts a new
 * segment (`rotate`); segments older than the current snapshot are deleted.
 * Effects are whole documents, not patches, so replaying a record twice on top
 * of a state that already holds it changes nothing.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import { encodeRecord } from './recordFile.js';
import { syncDirectory } from './snapshot.js';
import type { CommitEffects, StoredDocument } from './storeAccess.js';

const SEGMENT_PATTERN = /^log-(\d{10})\.bin$/;

export function segmentFile(dataDir: string, segment: number): string {
  return path.join(dataDir, `log-${String(segment).padStart(10, '0')}.bin`);
}

/** The data dir's log segments, oldest first. */
export function listSegments(dataDir: string): number[] {
  return fs
    .readdirSync(dataDir)
    .map((name) => SEGMENT_PATTERN.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

interface EncodedEffects {
  w: Array<[string, unknown]>;
  c: CommitEffects['counters'];
}

export function encodeEffects(effects: CommitEffects): Buffer {
  const body: EncodedEffects = {
    w: effects.writes.map(([id, doc]) => [id, doc === null ? null : convexToJson(doc as Value)]),
    c: effects.counters,
  };
  return Buffer.from(JSON.stringify(body));
}

export function decodeEffects(payload: Buffer): CommitEffects {
  const body = JSON.parse(payload.toString('utf8')) as EncodedEffects;
  if (!Array.isArray(body.w) || typeof body.c !== 'object') throw new Error('not a log record');
  // As in decodeDocuments (snapshot.ts): without `"$`, the JSON is already the Convex value.
  const plain = !payload.includes('"$');
  return {
    writes: body.w.map(([id, json]) => [id, json === null || plain ? (json as StoredDocument | null) : (jsonToConvex(json as never) as StoredDocument)]),
    counters: body.c,
  };
}

interface Pending {
  segment: number;
  record: Buffer;
  ticket: number;
}

interface Waiter {
  ticket: number;
  resolve(): void;
  reject(err: Error): void;
}

export class EffectLog {
  private segment: number;
  private handle: FileHandle | undefined;
  private handleSegment = 0;
  private pending: Pending[] = [];
  private waiters: Waiter[] = [];
  private appendedTickets = 0;
  private durableTickets = 0;
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  /** fsyncs done so far (fewer than records when group commit shares them). */
  syncs = 0;
  /** Bytes appended to segments since the current snapshot (what compaction would fold in). */
  bytesSinceSnapshot: number;

  /** Starts a new segment `segment` (created empty now, so a missing segment is always damage). */
  constructor(
    private readonly dataDir: string,
    segment: number,
    bytesSinceSnapshot: number,
  ) {
    this.segment = segment;
    this.bytesSinceSnapshot = bytesSinceSnapshot;
    this.createSegment(segment);
  }

  get currentSegment(): number {
    return this.segment;
  }

  /** Records appended so far; `waitDurable(appended)` waits until all of them are on disk. */
  get appended(): number {
    return this.appendedTickets;
  }

  /** Queues a record; never throws (a write failure rejects its waiters instead). */
  append(payload: Buffer): number {
    const record = encodeRecord(payload);
    this.appendedTickets += 1;
    this.bytesSinceSnapshot += record.length;
    this.pending.push({ segment: this.segment, record, ticket: this.appendedTickets });
    this.flushing ??= this.flushLoop();
    return this.appendedTickets;
  }

  /** Resolves once record `ticket` and every one before it is fsynced. */
  waitDurable(ticket: number = this.appendedTickets): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (ticket <= this.durableTickets) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ ticket, resolve, reject }));
  }

  /**
   * Later records go to a new segment; returns its number. Called at the point
   * a snapshot is taken, so that segment holds exactly what follows it.
   */
  rotate(): number {
    this.segment += 1;
    this.createSegment(this.segment);
    return this.segment;
  }

  /** After a snapshot covering every segment before `firstKept` is installed. */
  dropSegmentsBefore(firstKept: number, bytesSinceSnapshot: number): void {
    for (const segment of listSegments(this.dataDir)) {
      if (segment < firstKept) fs.rmSync(segmentFile(this.dataDir, segment), { force: true });
    }
    this.bytesSinceSnapshot = bytesSinceSnapshot;
  }

  /** Writes and fsyncs what is pending, then closes the segment file. */
  async close(): Promise<void> {
    await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private createSegment(segment: number): void {
    fs.closeSync(fs.openSync(segmentFile(this.dataDir, segment), 'a'));
    syncDirectory(this.dataDir);
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending;
        this.pending = [];
        await this.writeBatch(batch);
        this.durableTickets = batch[batch.length - 1]!.ticket;
        this.settleWaiters();
      }
    } catch (err) {
      this.failure = new Error(`the stand-in's log could not be written: ${(err as Error).message}`, { cause: err });
      for (const waiter of this.waiters) waiter.reject(this.failure);
      this.waiters = [];
    } finally {
      this.flushing = undefined;
    }
  }

  /** One write and one fsync per segment the batch touches (two only across a rotation). */
  private async writeBatch(batch: Pending[]): Promise<void> {
    let start = 0;
    while (start < batch.length) {
      const segment = batch[start]!.segment;
      let end = start;
      while (end < batch.length && batch[end]!.segment === segment) end += 1;
      if (this.handleSegment !== segment || !this.handle) {
        await this.handle?.close();
        this.handle = await fs.promises.open(segmentFile(this.dataDir, segment), 'a');
        this.handleSegment = segment;
      }
      const bytes = Buffer.concat(batch.slice(start, end).map((p) => p.record));
      let written = 0;
      while (written < bytes.length) {
        written += (await this.handle.write(bytes, written, bytes.length - written)).bytesWritten;
      }
      await this.handle.datasync();
      this.syncs += 1;
      start = end;
    }
  }

  private settleWaiters(): void {
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.ticket <= this.durableTickets) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
