/**
 * Every write path, plus raw SQL behind the helper's back, mirrored through the
 * local stand-in's HTTP API while it fails 30 % of mutations and leaves 5 %
 * applied but unanswered: the mirror converges with zero dead letters.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../examples/story-site/src/app/ports.js';
import { StaticUserDirectory } from '../../examples/story-site/src/app/userDirectory.js';
import * as writes from '../../examples/story-site/src/app/writes/index.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { silentLogger } from '../../src/log.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { listDeadLetters } from '../../src/outbox/deadLetters.js';
import { MirrorRunner } from '../../src/relay/mirrorRunner.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { USER_NAMES, admin, editor, reader } from '../support/appFixture.js';
import { expectConvexEqualsPostgres, makeRelay, outboxCounts, prepareMirroredDatabase } from '../support/mirror.js';
import { seededRandom } from '../support/random.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const KEY = 'faults-admin-key';
const backends = await availableBackends();

async function everyWritePath(deps: AppDeps): Promise<void> {
  await writes.saveLanguage(deps, admin(9), { name: 'Français', short: 'fr' });
  await writes.saveLanguage(deps, admin(9), { id: 3, name: 'Deutsch!', short: 'de' });
  await writes.setLanguageDefaultText(deps, editor(1), { id: 2, default_text: 'مرحبا' });
  await writes.setLanguageTtsReplace(deps, editor(1), { id: 2, tts_replace: 'x|y' });
  const course = await writes.saveCourse(deps, admin(9), { learning_language: 4, from_language: 1, tags: 'a, B', public: true });
  await writes.saveCourse(deps, admin(9), { id: course.id, learning_language: 4, from_language: 1, name: 'French', public: true });
  await writes.saveImage(deps, admin(9), { id: 'img-z', active: 'z', gilded: 'z', locked: 'z', active_lip: '#000', gilded_lip: '#fff' });
  const avatar = await writes.saveAvatar(deps, admin(9), { link: 'https://example.org/b.png', name: 'Bo' });
  await writes.saveAvatar(deps, admin(9), { id: avatar.id, link: 'https://example.org/b2.png', name: 'Bo' });
  const speaker = await writes.saveSpeaker(deps, admin(9), { language_id: 4, speaker: 'fr-1', gender: 'FEMALE', type: 'NEURAL', service: 'g' });
  await writes.saveSpeaker(deps, admin(9), { id: speaker.id, language_id: 4, speaker: 'fr-1', gender: 'MALE', type: 'NEURAL', service: 'g' });
  await writes.setAvatarSpeaker(deps, editor(1), { avatar_id: avatar.id, language_id: 4, name: 'Bo', speaker: 'fr-1' });
  await writes.saveLocalization(deps, editor(1), { language_id: 4, tag: 'hello', text: 'bonjour' });
  const story = await writes.saveStory(deps, editor(2), { duo_id: 'fr-1', course_id: course.id, set_id: 1, set_index: 1, text: 'Il était une fois', json: { lines: [{ ü: 1, $x: [1, 2] }] }, image: 'img-z', todo_count: 2 });
  await writes.saveStory(deps, editor(2), { id: story.id, duo_id: 'fr-1', course_id: course.id, set_id: 1, set_index: 1, todo_count: 1 });
  const imported = await writes.importStory(deps, editor(3), { story_id: 1, course_id: course.id });
  for (const s of [1, 2, 3, 4]) {
    await writes.toggleApproval(deps, editor(1), { story_id: s });
    await writes.toggleApproval(deps, editor(2), { story_id: s });
  }
  const { rows } = await deps.pool.query<{ id: number }>('SELECT id FROM story_approval WHERE story_id = 4 ORDER BY id LIMIT 1');
  await writes.removeApproval(deps, admin(9), { id: rows[0]!.id });
  await writes.togglePublished(deps, admin(9), { id: story.id });
  await writes.deleteStory(deps, editor(2), { id: imported.id });
  for (let i = 0; i < 10; i++) await writes.recordStoryDone(deps, i % 2 ? reader(i % 5 + 1) : { userId: null, role: 'anonymous' }, { story_id: (i % 3) + 1 });
  await writes.recordStoryDoneBatch(deps, [{ story_id: 1, user_id: 2 }, { story_id: 2, user_id: null }]);
  // Behind the helper's back: untracked writes, captured all the same.
  await deps.pool.query(`UPDATE language SET public = true WHERE id = 1`);
  await deps.pool.query(`INSERT INTO localization (language_id, tag, text) VALUES (1, 'raw', 'sql')`);
  await deps.pool.query(`DELETE FROM story_done WHERE id IN (SELECT min(id) FROM story_done)`);
}

describe.each(backends)('mirroring through the stand-in under faults [%s]', (backend) => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let url: string;
  let home: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-faults-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR,
      dataDir: home,
      adminKey: KEY,
      logger: silentLogger,
      faults: { failRate: 0.3, timeoutRate: 0.05 },
      timeoutHoldMs: 2_000,
      // Seeded: of the first six mutations, three fail and the sixth times out.
      random: seededRandom(13),
    });
    url = await convex.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('converges with zero dead letters', async () => {
    const target = new HttpConvexTarget({ url, adminKey: KEY, requestTimeoutMs: 400, skipQueue: true });
    const relay = makeRelay(db.pool, target, { workers: 2 });
    const runner = new MirrorRunner(db.pool, relay, createRelayMetrics(), silentLogger, { tool: DEFAULT_TOOL_SCHEMA, waitMs: 200 });
    await everyWritePath({ pool: db.pool, runner, users: new StaticUserDirectory(USER_NAMES) });
    const summary = await relay.drain();
    expect(convex.stats.failed).toBeGreaterThan(0);
    expect(convex.stats.timedOut).toBeGreaterThan(0);
    expect(summary.dead).toBe(0);
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    expect(await outboxCounts(db.pool)).toEqual({ done: expect.any(Number) });
    await expectConvexEqualsPostgres(db.pool, target);
  });
});
