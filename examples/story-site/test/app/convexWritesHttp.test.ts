/**
 * The Convex write paths over HTTP (the official ConvexHttpClient against the
 * local stand-in), as a real deployment is reached: a refusal crosses the wire
 * as a ConvexError and still comes back as the Postgres path's named error,
 * and successful writes land as they do in-process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/app/ports.js';
import { checkInvariantsConvex } from '../../src/app/invariants/convex.js';
import {
  convexKeyRangeStore,
  createLocalConvex,
  HttpConvexTarget,
  type LocalConvex,
  refillKeyRanges,
  silentLogger,
} from 'tandem';
import { appDeps, seedExtendedFixture, USER_NAMES } from '../../../../test/support/appFixture.js';
import { prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import {
  runOnConvex,
  runOnPostgres,
  SERIAL_KEYS,
  type WriteCall,
} from '../../../../test/support/convexWrites.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { makeRelay } from '../../../../test/support/mirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../src/storySiteRoot.js';

const EDITOR: Actor = { userId: 2, role: 'editor' };
const ADMIN: Actor = { userId: 9, role: 'admin' };

const CALLS: WriteCall[] = [
  { path: 'toggleApproval', actor: EDITOR, input: { story_id: 1 } },
  { path: 'toggleApproval', actor: EDITOR, input: { story_id: 77 } },
  { path: 'saveCourse', actor: ADMIN, input: { learning_language: 4, from_language: 3 } },
  { path: 'saveLanguage', actor: ADMIN, input: { id: 2, name: 'Arabic', short: 'fr' } },
  { path: 'saveStory', actor: EDITOR, input: { id: 1, course_id: 77, set_id: 1, set_index: 1 } },
  { path: 'recordStoryDone', actor: { userId: 12, role: 'reader' }, input: { story_id: 1 } },
  {
    path: 'saveStory',
    actor: EDITOR,
    input: { duo_id: 'over-http', course_id: 2, set_id: 3, set_index: 1, json: { $a: [1] } },
  },
  { path: 'togglePublished', actor: ADMIN, input: { id: 2 } },
];

describe('Convex write paths over the HTTP target (local stand-in) [pglite]', () => {
  let db: TestDatabase;
  let server: LocalConvex;
  let http: HttpConvexTarget;
  const adminKey = 'tandem-local|writes-test-key';

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    await seedExtendedFixture(db.pool);
    server = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR,
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-writes-local-')),
      adminKey,
      logger: silentLogger,
    });
    http = new HttpConvexTarget({ url: await server.listen(0, '127.0.0.1'), adminKey });
    await makeRelay(db.pool, http).drain();
    await http.mutation('writes/users:saveLegacyUsers', {
      users: [...USER_NAMES].map(([userId, name]) => ({ userId, name })),
    });
    await refillKeyRanges(db.pool, convexKeyRangeStore(http), SERIAL_KEYS, {
      lowWater: 10,
      batch: 10,
    });
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await db?.close();
  });

  it('answers and refuses as the Postgres path, call by call', async () => {
    const deps = appDeps(db.pool);
    const refused: unknown[] = [];
    for (const call of CALLS) {
      const onPostgres = await runOnPostgres(deps, call);
      expect(await runOnConvex(http, call), JSON.stringify(call)).toEqual(onPostgres);
      if (!onPostgres.ok) refused.push(onPostgres.error.class);
    }
    expect(refused).toEqual([
      'NotFoundError',
      'ConflictError',
      'ConflictError',
      'InvalidInputError',
      'UnknownUserError',
    ]);
    expect(await checkInvariantsConvex(http)).toEqual([]);
  });
});
