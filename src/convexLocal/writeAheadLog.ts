/**
 * Durability for the local stand-in. convex-test keeps its database in memory,
 * so every mutation the stand-in acknowledges is first appended to a log and
 * flushed to disk (fsync); on start the log is replayed through the same
 * functions, in the same order, which rebuilds the same state (the functions
 * are deterministic given their inputs and the order). A mutation that ran but
 * was not yet logged when the process died was never acknowledged, so a
 * client retries it, exactly as with a real deployment.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LoggedMutation {
  path: string;
  /** Arguments in Convex's JSON encoding (convexToJson). */
  args: unknown;
}

export class WriteAheadLog {
  private readonly file: string;
  private fd: number | undefined;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, 'mutations.jsonl');
  }

  /** Every complete entry in order. A torn last line (a crash mid-append) was never acknowledged and is dropped. */
  readAll(): LoggedMutation[] {
    if (!fs.existsSync(this.file)) return [];
    const lines = fs.readFileSync(this.file, 'utf8').split('\n');
    const entries: LoggedMutation[] = [];
    let validBytes = 0;
    for (const line of lines) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as LoggedMutation);
        validBytes += Buffer.byteLength(line) + 1;
      } catch {
        break;
      }
    }
    if (validBytes < fs.statSync(this.file).size) fs.truncateSync(this.file, validBytes);
    return entries;
  }

  append(entry: LoggedMutation): void {
    this.fd ??= fs.openSync(this.file, 'a');
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
