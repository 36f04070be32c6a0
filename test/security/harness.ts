/**
 * The API as an attacker meets it, with the mirror on: capture installed, the
 * mirror helper applying each write to an embedded Convex through a recording
 * target, and logs kept in memory. `storeState` covers both stores: every app
 * table (row count + md5), the outbox, dead letters, and the Convex calls made.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { installCapture } from '../../src/capture/index.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { RecordingConvexTarget } from '../../src/convex/recordingTarget.js';
import { migrate } from '../../src/postgres/migrate.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { MirrorRunner } from '../../src/relay/mirrorRunner.js';
import type { Backend } from '../support/db.js';
import { makeRelay } from '../support/mirror.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { snapshotTables, startApi, type ApiHarness, type TableSnapshot } from '../../examples/story-site/test/api/harness.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

/** Tokens whose users have no row in `users` (ids 1002, 1003). */
export const GHOST_TOKENS = {
  'ghost-editor-token-1': { userId: 1002, role: 'editor' as const },
  'ghost-reader-token-1': { userId: 1003, role: 'reader' as const },
};
export const GHOST = {
  editor: { authorization: 'Bearer ghost-editor-token-1' },
  reader: { authorization: 'Bearer ghost-reader-token-1' },
};

export interface SecuredApi extends ApiHarness {
  convex: RecordingConvexTarget;
  /** Every log line written so far. */
  logs(): string;
  storeState(): Promise<StoreState>;
}

export interface StoreState {
  tables: TableSnapshot;
  outbox: { events: number; lastSeq: string | null };
  deadLetters: number;
  convexCalls: number;
}

export async function startSecuredApi(backend: Backend): Promise<SecuredApi> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const convex = new RecordingConvexTarget({ delegate: new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR }) });
  const api = await startApi(backend, {
    prepare: async (pool) => {
      await migrate(pool, DEFAULT_TOOL_SCHEMA);
      await installCapture(pool, storySiteCapture());
    },
    runner: (pool) =>
      new MirrorRunner(pool, makeRelay(pool, convex), createRelayMetrics(), logger, { tool: DEFAULT_TOOL_SCHEMA, waitMs: 10_000 }),
    tokens: GHOST_TOKENS,
    logger,
  });
  return {
    ...api,
    convex,
    logs: () => lines.join(''),
    async storeState() {
      const pool = api.db.pool;
      const outbox = await pool.query<{ events: number; last: string | null }>(
        'SELECT count(*)::int AS events, max(seq)::text AS last FROM tandem.outbox',
      );
      const dead = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.dead_letter');
      return {
        tables: await snapshotTables(pool),
        outbox: { events: outbox.rows[0]!.events, lastSeq: outbox.rows[0]!.last },
        deadLetters: dead.rows[0]!.n,
        convexCalls: convex.calls.length,
      };
    },
  };
}
