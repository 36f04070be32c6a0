/**
 * Bad data directories: a torn end of the log (a crash mid-write, never
 * acknowledged) is cut off with a report of what was dropped; damage anywhere
 * else, or a damaged snapshot, refuses the start naming the file and offset,
 * with nothing loaded and no file changed; a data dir held by a running
 * stand-in is refused, a dead one's lock taken over; an old-format
 * mutations.jsonl is migrated once.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptDataError, DataDirLockedError } from '../../src/convexLocal/dataDirErrors.js';
import { listSegments, segmentFile } from '../../src/convexLocal/effectLog.js';
import { callStandIn, expectDriverState, stepAppStandIns } from './stepApp.js';

const standIns = stepAppStandIns();
const { start, stop } = standIns;

afterEach(() => standIns.closeAll());

const state = async (url: string, driver: string) =>
  (await callStandIn(url, 'query', 'steps:state', { driver })) as { count: number; items: never[] };

/** a1 b1 a2 b2 a3, one after another: five log records in segment 1, the last one a's step 3. */
async function fiveSteps(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-badinput-'));
  const { server, url } = await start(dataDir);
  for (const [driver, n] of [['a', 1], ['b', 1], ['a', 2], ['b', 2], ['a', 3]] as const) {
    await callStandIn(url, 'mutation', 'steps:step', { driver, step: n, payloadBytes: 10 });
  }
  await stop(server);
  return dataDir;
}

/** Offsets of each record in a file of framed records. */
function recordOffsets(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const offsets: number[] = [];
  for (let at = 0; at < bytes.length; at += 12 + bytes.readUInt32LE(at + 4)) offsets.push(at);
  return offsets;
}

function flipByte(bytes: Buffer, at: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
}

function filesOf(dataDir: string): Record<string, string> {
  return Object.fromEntries(
    fs.readdirSync(dataDir).sort().map((f) => [f, fs.readFileSync(path.join(dataDir, f)).toString('base64')]),
  );
}

async function expectRefused(dataDir: string, file: string, offset: number, reason: RegExp) {
  const before = filesOf(dataDir);
  const error = await standIns.refusal(dataDir);
  expect(error).toBeInstanceOf(CorruptDataError);
  const corrupt = error as CorruptDataError;
  expect([corrupt.file, corrupt.offset]).toEqual([file, offset]);
  expect(corrupt.reason).toMatch(reason);
  expect(corrupt.message).toContain(`${file} is damaged at byte offset ${offset}`);
  // Nothing changed, and the lock was given back.
  expect(filesOf(dataDir)).toEqual(before);
}

describe('a torn end of the log', () => {
  it('a record cut short is dropped with a report, the file cut back to the last whole record', async () => {
    const dataDir = await fiveSteps();
    const log = segmentFile(dataDir, 1);
    const offsets = recordOffsets(log);
    expect(offsets).toHaveLength(5);
    const size = fs.statSync(log).size;
    fs.truncateSync(log, size - 7);
    const { server, url } = await start(dataDir);
    expect(server.loaded.droppedTail).toEqual({ file: log, offset: offsets[4], bytes: size - 7 - offsets[4]! });
    expect(server.loaded.logRecords).toBe(4);
    expect(fs.statSync(log).size).toBe(offsets[4]);
    expectDriverState('a', await state(url, 'a'), 2, 10);
    expect((await state(url, 'a')).count).toBe(2);
    expectDriverState('b', await state(url, 'b'), 2, 10);
  });

  it('bytes after the last whole record that hold no record are dropped; every record stays', async () => {
    const dataDir = await fiveSteps();
    const log = segmentFile(dataDir, 1);
    const size = fs.statSync(log).size;
    fs.appendFileSync(log, Buffer.alloc(100, 0));
    const { server, url } = await start(dataDir);
    expect(server.loaded.droppedTail).toEqual({ file: log, offset: size, bytes: 100 });
    expect((await state(url, 'a')).count).toBe(3);
  });
});

describe('damage a crash cannot cause is refused', () => {
  it('a bad record with whole records after it', async () => {
    const dataDir = await fiveSteps();
    const log = segmentFile(dataDir, 1);
    const offsets = recordOffsets(log);
    const bytes = fs.readFileSync(log);
    flipByte(bytes, offsets[2]! + 20);
    fs.writeFileSync(log, bytes);
    await expectRefused(dataDir, log, offsets[2]!, /checksum mismatch record with whole records after it/);
  });

  it('a torn end of a segment that is not the newest', async () => {
    const dataDir = await fiveSteps();
    // A second run starts segment 2; segment 1 is then complete and must be whole.
    await stop((await start(dataDir)).server);
    expect(listSegments(dataDir)).toEqual([1, 2]);
    const log = segmentFile(dataDir, 1);
    const offsets = recordOffsets(log);
    fs.truncateSync(log, fs.statSync(log).size - 3);
    await expectRefused(dataDir, log, offsets[4]!, /truncated record in a segment that is not the newest/);
  });

  it('a damaged or truncated snapshot', async () => {
    const dataDir = await fiveSteps();
    const { server } = await start(dataDir);
    await server.compact();
    await stop(server);
    const snapshot = path.join(dataDir, 'snapshot.bin');
    const good = fs.readFileSync(snapshot);
    const offsets = recordOffsets(snapshot);
    expect(offsets).toHaveLength(3); // header, one chunk of documents, trailer

    const flipped = Buffer.from(good);
    flipByte(flipped, offsets[1]! + 30);
    fs.writeFileSync(snapshot, flipped);
    await expectRefused(dataDir, snapshot, offsets[1]!, /checksum mismatch record/);

    fs.writeFileSync(snapshot, good.subarray(0, good.length - 5));
    await expectRefused(dataDir, snapshot, offsets[2]!, /truncated record/);

    fs.writeFileSync(snapshot, good.subarray(0, offsets[2]));
    await expectRefused(dataDir, snapshot, offsets[2]!, /ends before its trailer/);
  });

  it('a missing log segment', async () => {
    const dataDir = await fiveSteps();
    await stop((await start(dataDir)).server);
    fs.rmSync(segmentFile(dataDir, 1));
    await expectRefused(dataDir, segmentFile(dataDir, 1), 0, /missing/);
  });
});

describe('the data dir lock', () => {
  it('refuses a data dir a running stand-in holds, and takes over the lock of a dead one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lock-'));
    const first = await start(dataDir);
    const refused = await standIns.refusal(dataDir);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).pid).toBe(process.pid);
    expect((refused as Error).message).toBe(`${dataDir} is in use by another running stand-in (pid ${process.pid}); stop it or use another --data-dir`);
    await stop(first.server);
    expect(fs.existsSync(path.join(dataDir, 'lock'))).toBe(false);

    // A stand-in killed without a chance to remove its lock.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    fs.writeFileSync(path.join(dataDir, 'lock'), JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: '' }));
    await start(dataDir);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'lock'), 'utf8')).pid).toBe(process.pid);
  });
});

describe('an old-format data dir', () => {
  it('is migrated once: mutations.jsonl replayed, written as a snapshot, then kept aside and never read again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-legacy-'));
    const lines = [1, 2, 3].map((n) => JSON.stringify({ path: 'steps:step', args: { driver: 'a', step: n, payloadBytes: 10 } }));
    fs.writeFileSync(path.join(dataDir, 'mutations.jsonl'), `${lines.join('\n')}\n{"path":"steps:st`);
    const first = await start(dataDir);
    expect(first.server.loaded).toEqual({ documents: 12, snapshotDocuments: 12, logRecords: 0, migratedMutations: 3 });
    expectDriverState('a', await state(first.url, 'a'), 3, 10);
    const migrated = await callStandIn(first.url, 'query', 'steps:all', {});
    await stop(first.server);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['log-0000000001.bin', 'log-0000000002.bin', 'mutations.jsonl.migrated', 'snapshot.bin']);

    const second = await start(dataDir);
    expect(second.server.loaded).toEqual({ documents: 12, snapshotDocuments: 12, logRecords: 0 });
    expect(await callStandIn(second.url, 'query', 'steps:all', {})).toEqual(migrated);
  });
});
