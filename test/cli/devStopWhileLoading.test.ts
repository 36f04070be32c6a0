/**
 * `tandem dev` (the embedded stack: PGlite, then the local stand-in) stopped
 * with SIGTERM while the stand-in loads a large data dir stops there, without
 * finishing the load first: the embedded stack hands the stand-in a stop
 * signal for its load. Run as a user runs it, the compiled CLI in a process of
 * its own, on free ports and a home of its own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSnapshot } from '../../src/convexLocal/snapshot.js';
import type { StoredDocument } from '../../src/convexLocal/storeAccess.js';
import { freePort } from '../support/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Enough documents that loading them takes seconds on a loaded machine: long after PGlite has started.
const DOCUMENTS = 150_000;
const TABLE = 'story_done';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-dev-stop-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function writeConvexDataDir(dataDir: string): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const documents: StoredDocument[] = Array.from({ length: DOCUMENTS }, (_, n) => ({
    _id: String(10_000 + n).padStart(32 - TABLE.length, '0') + TABLE,
    _creationTime: 1_700_000_000_000 + n,
    id: n + 1,
    user_id: null,
    story_id: 1 + (n % 300),
    time: 1_600_000_000_000 + n * 1000,
    pgKey: String(n + 1),
    pgVersion: 1,
  }));
  fs.closeSync(fs.openSync(path.join(dataDir, 'log-0000000001.bin'), 'a'));
  await writeSnapshot(dataDir, {
    documents,
    counters: { nextDocId: 10_000 + DOCUMENTS, lastCreationTime: 1_700_000_000_000 + DOCUMENTS, lastCommitTs: '0' },
    logSegment: 1,
  });
}

describe('tandem dev stopped while the stand-in loads', () => {
  it('stops during the load, saying so, instead of after it', async () => {
    await writeConvexDataDir(path.join(home, 'convex-local'));
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const child = spawn(
      process.execPath,
      ['bin/tandem.js', '--config', 'examples/story-site/tandem.config.json', 'dev', '--port', String(ports[0]), '--pg-port', String(ports[1]), '--convex-port', String(ports[2])],
      {
        cwd: root,
        env: { ...process.env, TANDEM_HOME: home, TANDEM_LOG_LEVEL: 'info', DATABASE_URL: '', TANDEM_CONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let signalled = false;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && output.includes('convex-local: loading the data dir')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const code = await exited;
    expect(signalled).toBe(true);
    expect(output).toContain('stopped while loading the data directory');
    // Nothing after the load ran: no banner, no dev stack file left behind.
    expect(output).not.toContain('tandem dev stack is running');
    expect(fs.existsSync(path.join(home, 'dev.json'))).toBe(false);
    expect(code).not.toBe(0);
  }, 180_000);
});
