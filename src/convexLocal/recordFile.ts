/**
 * The framing shared by the stand-in's snapshot and log files: each record is
 * `magic (4 bytes) | payload length (u32 LE) | CRC-32 of length and payload
 * (u32 LE) | payload`. The checksum is what tells a record that was written
 * whole from a torn or damaged one, so nothing is ever half-loaded; the magic
 * lets a reader look past a damaged record for whole ones (a damaged record
 * followed by whole ones is corruption, not a torn tail). Hand-written because
 * it is a dozen lines over node:zlib's crc32, and the reader must report the
 * byte offset of a bad record, which generic framing libraries do not.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

const MAGIC = 0x31524454; // "TDR1" little-endian
export const HEADER_BYTES = 12;
/** Far above any record the stand-in writes (a mutation writes at most 16 MiB); a larger length is damage. */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export function encodeRecord(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt32LE(payload.length, 4);
  payload.copy(record, HEADER_BYTES);
  record.writeUInt32LE(recordChecksum(record, 0, payload.length), 8);
  return record;
}

function recordChecksum(buffer: Buffer, start: number, length: number): number {
  const lengthBytes = buffer.subarray(start + 4, start + 8);
  const payload = buffer.subarray(start + HEADER_BYTES, start + HEADER_BYTES + length);
  return zlib.crc32(payload, zlib.crc32(lengthBytes));
}

export type FrameProblem = 'truncated' | 'bad magic' | 'bad length' | 'checksum mismatch';

/** The outcome of checking for a whole record at `offset` of `buffer`. */
type Frame = { ok: true; payload: Buffer; end: number } | { ok: false; problem: FrameProblem };

function readFrame(buffer: Buffer, offset: number): Frame {
  if (buffer.length - offset < HEADER_BYTES) return { ok: false, problem: 'truncated' };
  if (buffer.readUInt32LE(offset) !== MAGIC) return { ok: false, problem: 'bad magic' };
  const length = buffer.readUInt32LE(offset + 4);
  if (length > MAX_PAYLOAD_BYTES) return { ok: false, problem: 'bad length' };
  const end = offset + HEADER_BYTES + length;
  if (end > buffer.length) return { ok: false, problem: 'truncated' };
  if (recordChecksum(buffer, offset, length) !== buffer.readUInt32LE(offset + 8)) {
    return { ok: false, problem: 'checksum mismatch' };
  }
  return { ok: true, payload: buffer.subarray(offset + HEADER_BYTES, end), end };
}

/** Where a file stops being whole records, and why. */
export interface BadRecord {
  offset: number;
  problem: FrameProblem;
  /** True when a whole record follows the bad one (damage in the middle, not a torn end). */
  wholeRecordsAfter: boolean;
}

export interface ReadRecordsResult {
  records: number;
  /** Bytes of whole records from the start of the file. */
  goodBytes: number;
  fileBytes: number;
  bad?: BadRecord;
}

/**
 * Calls `onRecord` for every whole record in file order, reading in chunks and
 * awaiting `onRecord` (so a caller can yield to the event loop and stop on a
 * signal). Stops at the first record that is not whole and describes it.
 */
export async function readRecords(
  file: string,
  onRecord: (payload: Buffer, offset: number) => void | Promise<void>,
): Promise<ReadRecordsResult> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const fileBytes = (await handle.stat()).size;
    let records = 0;
    let position = 0; // file offset of buffer[0]
    let buffer = Buffer.alloc(0);
    let offset = 0; // within buffer
    for (;;) {
      const frame = readFrame(buffer, offset);
      if (frame.ok) {
        await onRecord(frame.payload, position + offset);
        records += 1;
        offset = frame.end;
        continue;
      }
      const unread = fileBytes - (position + buffer.length);
      if (frame.problem === 'truncated' && unread > 0) {
        // The record continues past this chunk: keep its start, read more.
        const needed = buffer.length - offset >= HEADER_BYTES ? HEADER_BYTES + buffer.readUInt32LE(offset + 4) : HEADER_BYTES;
        const rest = buffer.subarray(offset);
        const size = Math.min(unread, Math.max(READ_CHUNK_BYTES, needed - rest.length));
        const chunk = Buffer.allocUnsafe(size);
        const { bytesRead } = await handle.read(chunk, 0, size, position + buffer.length);
        position += offset;
        buffer = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
        offset = 0;
        continue;
      }
      const goodBytes = position + offset;
      if (goodBytes === fileBytes) return { records, goodBytes, fileBytes };
      const tail = Buffer.allocUnsafe(fileBytes - goodBytes);
      await handle.read(tail, 0, tail.length, goodBytes);
      return {
        records,
        goodBytes,
        fileBytes,
        bad: { offset: goodBytes, problem: frame.problem, wholeRecordsAfter: hasWholeRecordAfter(tail) },
      };
    }
  } finally {
    await handle.close();
  }
}

/** Looks for the magic at every later offset and checks whether a whole record starts there. */
function hasWholeRecordAfter(tail: Buffer): boolean {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(MAGIC, 0);
  for (let at = tail.indexOf(magic, 1); at !== -1; at = tail.indexOf(magic, at + 1)) {
    if (readFrame(tail, at).ok) return true;
  }
  return false;
}
