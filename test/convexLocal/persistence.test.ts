/**
 * The stand-in keeps documents, not calls: a restart loads the snapshot and
 * the log of committed effects without running a function, compaction folds
 * the log into a new snapshot while mutations go on, and concurrent
 * mutations share fsyncs (group commit). Runs on an app unlike the story site
 * (stepApp.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EffectLog, listSegments, segmentFile } from '../../src/convexLocal/effectLog.js';
import { callStandIn, expectDriverState, stepAppStandIns } from './stepApp.js';

const standIns = stepAppStandIns();
const { start, stop } = standIns;

afterEach(() => standIns.closeAll());

const step = (url: string, driver: string, n: number) =>
  callStandIn(url, 'mutation', 'steps:step', { driver, step: n, payloadBytes: 10 });

/** `steps` steps for each driver, the drivers concurrently. */
async function drive(url: string, drivers: string[], from: number, steps: number) {
  await Promise.all(
    drivers.map(async (driver) => {
      for (let n = from; n < from + steps; n++) await step(url, driver, n);
    }),
  );
}

const all = (url: string) => callStandIn(url, 'query', 'steps:all', {});

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-persist-'));
}

describe('restart', () => {
  it('loads exactly the committed documents (same ids and creation times: no function re-run) and ids continue', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await drive(first.url, ['a', 'b', 'c'], 1, 5);
    const before = await all(first.url);
    await stop(first.server);

    const second = await start(dataDir);
    // 15 mutations committed: 15 log records; per driver 5×4 items, 3 deleted, plus its counter.
    expect(second.server.loaded).toEqual({ documents: 3 * (5 * 4 - 3 + 1), snapshotDocuments: 0, logRecords: 15 });
    expect(await all(second.url)).toEqual(before);
    expect(fs.existsSync(path.join(dataDir, 'mutations.jsonl'))).toBe(false);

    await step(second.url, 'a', 6);
    const after = (await all(second.url)) as { items: Array<{ _id: string; step: number }> };
    const oldIds = new Set((before as typeof after).items.map((d) => d._id));
    const newIds = after.items.filter((d) => d.step === 6).map((d) => d._id);
    expect(newIds).toHaveLength(4);
    expect(newIds.filter((id) => oldIds.has(id))).toEqual([]);
    for (const driver of ['a', 'b', 'c']) {
      expectDriverState(driver, (await callStandIn(second.url, 'query', 'steps:state', { driver })) as never, driver === 'a' ? 6 : 5, 10);
    }
  });
});

describe('compaction', () => {
  it('folds the log into a snapshot while mutations go on; older segments are deleted; a restart gives the same state', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await drive(first.url, ['a', 'b'], 1, 3);
    const during = drive(first.url, ['a', 'b'], 4, 6);
    await first.server.compact();
    await during;
    const before = await all(first.url);
    await stop(first.server);

    expect(fs.existsSync(path.join(dataDir, 'snapshot.bin'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'snapshot.bin.tmp'))).toBe(false);
    // Segment 1 was the log before the snapshot; it is gone.
    expect(listSegments(dataDir)).toEqual([2]);
    const second = await start(dataDir);
    const { loaded } = second.server;
    expect(loaded.snapshotDocuments).toBeGreaterThanOrEqual(2 * (3 * 4 - 1 + 1));
    // Every mutation is in the snapshot or after it, never lost between them.
    expect(loaded.snapshotDocuments > 2 * (3 * 4 - 1 + 1) || loaded.logRecords > 0).toBe(true);
    expect(loaded.documents).toBe(2 * (9 * 4 - 7 + 1));
    expect(await all(second.url)).toEqual(before);
  });

  it('starts by itself once the log passes the threshold', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir, { minLogBytes: 4096, logToSnapshotRatio: 0 });
    await drive(first.url, ['a'], 1, 12);
    await vi.waitFor(() => expect(first.server.durability().compactions).toBeGreaterThan(0));
    await stop(first.server);
    expect(fs.existsSync(path.join(dataDir, 'snapshot.bin'))).toBe(true);
    expect(listSegments(dataDir)[0]).toBeGreaterThan(1);
  });

  it('stopped mid-way keeps the old state: no snapshot installed, no temporary file, nothing lost', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await drive(first.url, ['a', 'b'], 1, 4);
    const before = await all(first.url);
    const compaction = first.server.compact();
    await stop(first.server);
    await compaction;
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('snapshot'))).toEqual([]);
    const second = await start(dataDir);
    expect(second.server.loaded.snapshotDocuments).toBe(0);
    expect(await all(second.url)).toEqual(before);
  });
});

describe('group commit', () => {
  it('records appended while an fsync is in flight share the next one; each waiter resolves only after its own', async () => {
    const dataDir = tempDir();
    const log = new EffectLog(dataDir, 1, 0);
    const first = log.append(Buffer.from('{"w":[],"c":{}}'));
    const firstDurable = log.waitDurable(first);
    // These 49 are appended while the first write+fsync is in flight.
    const rest = Array.from({ length: 49 }, () => log.append(Buffer.from('{"w":[],"c":{}}')));
    let restDurable = false;
    const restWait = log.waitDurable(rest.at(-1)).then(() => (restDurable = true));
    await firstDurable;
    expect(log.syncs).toBe(1);
    await restWait;
    expect(restDurable).toBe(true);
    // One fsync for the first record, one shared by the other 49.
    expect(log.syncs).toBe(2);
    await log.close();
    expect(fs.statSync(segmentFile(dataDir, 1)).size).toBe(50 * (12 + 15));
  });

  it('concurrent mutations over HTTP: one log record each, all acknowledged ones survive a restart', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    const drivers = Array.from({ length: 16 }, (_, i) => `d${i}`);
    await drive(first.url, drivers, 1, 3);
    expect(first.server.durability().logRecords).toBe(48);
    await stop(first.server);
    const second = await start(dataDir);
    expect(second.server.loaded.logRecords).toBe(48);
    for (const driver of drivers) {
      expectDriverState(driver, (await callStandIn(second.url, 'query', 'steps:state', { driver })) as never, 3, 10);
    }
  });
});
