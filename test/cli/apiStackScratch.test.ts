/**
 * The API stack (`startApiStack`, what `tandem dev`, `demo` and `serve` run) at
 * `convex-shadow`: every write through HTTP also runs as a Convex mutation on
 * the scratch copy it is given, and the stack wraps that scratch with
 * trimScratchChangeLog (every 100 mutations), so its change log is emptied
 * rather than growing without bound. The story site is the application served;
 * the trimming itself, step by step, is examples/story-site/test/reverseSync/scratchLog.test.ts.
 * A test of the CLI's stack, which is not part of the public API: so it lives
 * with the tool's tests, not the example's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack } from '../../src/cli/apiStack.js';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';
import { silentLogger } from '../../src/log.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { saveWriteGroups, setWriteStage, WriteFlags } from '../../src/writeCutover/index.js';
import { storySiteGroups, storySiteWriteGroups } from '../../examples/story-site/src/app/writeGroups.js';
import storySite from '../../examples/story-site/src/plugin.js';
import { AS, TOKENS } from '../../examples/story-site/test/api/harness.js';
import { scratchConvexFor, writePathsDatabase } from '../support/convexWrites.js';
import { availableBackends, type TestDatabase } from '../support/db.js';

describe.each(await availableBackends())('the API stack trims its scratch at convex-shadow [%s]', (backend) => {
  let db: TestDatabase;
  let scratch: EmbeddedConvexTarget;

  const scratchPending = async () => (await changeLogSource(scratch).pendingChanges(0)).pending;

  beforeAll(async () => {
    db = await writePathsDatabase(backend);
    scratch = await scratchConvexFor(db.pool);
  }, 120_000);

  afterAll(async () => {
    await scratch?.close();
    await db?.close();
  });

  it('the API stack trims the scratch it is given: empty after 100 shadowed writes through HTTP', async () => {
    // A fresh scratch holds only the backfill, which logs nothing: every entry counted below is a shadowed write.
    expect(await scratchPending()).toBe(0);
    await saveWriteGroups(db.pool, TOOL, storySiteGroups, { actor: 'test', why: 'story site groups' });
    await setWriteStage(db.pool, TOOL, {
      group: storySiteWriteGroups.toggleApproval!,
      stage: 'convex-shadow',
      why: 'test',
      actor: 'test',
      force: true,
      gates: async () => [],
    });
    const flags = await WriteFlags.start({ tool: TOOL, pool: db.pool, listen: false });
    const api = await startApiStack({
      tool: TOOL,
      pool: db.pool,
      application: storySite,
      tokens: TOKENS,
      logger: silentLogger,
      port: 0,
      host: '127.0.0.1',
      convexWrites: { mutation: () => Promise.reject(new Error('the real Convex was called')) },
      convexShadow: scratch,
      writeFlags: flags,
    });
    try {
      for (let i = 1; i <= 100; i++) {
        const res = await fetch(`${api.url}/api/stories/${1 + (i % 4)}/approval`, { method: 'POST', headers: AS.editor });
        expect(res.status).toBe(200);
        // Shadow writes run after the answer, in order: before the 100th, the scratch log only grows.
        if (i === 99) await waitForShadow(async () => (await scratchPending()) >= 99);
      }
      await waitForShadow(async () => (await scratchPending()) === 0);
    } finally {
      await api.app.close();
      await flags.close();
    }
  });
});

async function waitForShadow(ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the scratch change log');
    await new Promise((r) => setTimeout(r, 20));
  }
}
