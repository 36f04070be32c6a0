/**
 * The control room's changes: read stages and rollback, dead-letter retry and
 * discard, each audited with the token's user; refused without an admin
 * token, for an unknown table, or with a bad body, writing nothing; and no
 * response ever shows a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/controlRoom/redact.js';
import { availableBackends } from '../support/db.js';
import { APPS, startControlRoom, TOKENS, type ControlRoomHarness } from './harness.js';

const backends = await availableBackends();
const ADMIN = 'user 2 (admin, control room)';

/** Everything a refused request could have written. */
async function writtenState(h: ControlRoomHarness): Promise<unknown> {
  const { rows } = await h.db.pool.query(
    `SELECT (SELECT count(*) FROM tandem.read_flag_history)::int AS history,
            (SELECT count(*) FROM tandem.read_flag)::int AS flags,
            (SELECT count(*) FROM tandem.audit_log)::int AS audit,
            (SELECT count(*) FROM tandem.dead_letter WHERE resolved_at IS NULL)::int AS open_dead,
            (SELECT count(*) FROM tandem.outbox)::int AS outbox`,
  );
  return rows[0];
}

async function addDeadLetter(h: ControlRoomHarness, table: string, key: string): Promise<number> {
  const { rows } = await h.db.pool.query<{ id: string }>(
    `INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, "row", reason, rule, column_name, attempts)
     VALUES ((SELECT coalesce(max(seq), 0) + 1000 FROM tandem.outbox), pg_current_xact_id(), $1, $2, 'update',
             '{"title": "x"}'::jsonb, 'document too large', 'document-size', 'title', 3)
     RETURNING id`,
    [table, key],
  );
  return Number(rows[0]!.id);
}

describe.each(backends)('control room actions [%s]', (backend) => {
  describe.each(APPS)('%s', (appName) => {
    let h: ControlRoomHarness;
    let table: string;

    beforeAll(async () => {
      h = await startControlRoom(backend, appName);
      table = h.mirror.tables[1]!.name;
    });
    afterAll(() => h?.close());

    it('refuses a change without a token (401) or with a lower role (403), writing nothing', async () => {
      const before = await writtenState(h);
      const id = await addDeadLetter(h, table, '["auth"]');
      const afterSeed = await writtenState(h);
      for (const [caller, status] of [
        ['anonymous', 401],
        ['unknown', 401],
        ['reader', 403],
        ['editor', 403],
      ] as const) {
        for (const url of [
          `/api/control/flags/${table}`,
          `/api/control/flags/${table}/rollback`,
          `/api/control/dead-letters/${id}/retry`,
          `/api/control/dead-letters/${id}/discard`,
        ]) {
          const res = await h.call(caller, 'POST', url, { stage: 'shadow', reason: 'try' });
          expect([url, caller, res.status]).toEqual([url, caller, status]);
        }
      }
      expect(await writtenState(h)).toEqual(afterSeed);
      expect(before).not.toEqual(afterSeed);
      await h.db.pool.query('DELETE FROM tandem.dead_letter WHERE id = $1', [id]);
    });

    it('names an unknown table (404) and a bad body field (400), writing nothing', async () => {
      const before = await writtenState(h);
      const cases: Array<[string, unknown, number, string, RegExp]> = [
        [
          '/api/control/flags/no_such_table',
          { stage: 'shadow', reason: 'x' },
          404,
          'table',
          /no_such_table/,
        ],
        [
          '/api/control/flags/no_such_table/rollback',
          { reason: 'x' },
          404,
          'table',
          /no_such_table/,
        ],
        [`/api/control/flags/${table}`, { stage: 'shadow' }, 400, 'reason', /reason/],
        [`/api/control/flags/${table}`, { stage: 'shadow', reason: '  ' }, 400, 'reason', /reason/],
        [`/api/control/flags/${table}`, { stage: 'mongo', reason: 'x' }, 400, 'stage', /stage/],
        [
          `/api/control/flags/${table}`,
          { stage: 'convex-percent', percent: 150, reason: 'x' },
          400,
          'percent',
          /percent/,
        ],
        [
          `/api/control/flags/${table}`,
          { stage: 'shadow', reason: 'x', colour: 'red' },
          400,
          'colour',
          /colour/,
        ],
        // A move the transition table refuses (skips shadow) without force.
        [`/api/control/flags/${table}`, { stage: 'convex', reason: 'x' }, 400, 'stage', /stage/],
        [`/api/control/flags/${table}/rollback`, {}, 400, 'reason', /reason/],
        ['/api/control/dead-letters/999999/retry', undefined, 404, '', /999999/],
        ['/api/control/dead-letters/abc/discard', undefined, 400, 'id', /id/],
      ];
      for (const [url, body, status, field, message] of cases) {
        const res = await h.call('admin', 'POST', url, body);
        expect([url, res.status]).toEqual([url, status]);
        if (field) expect(res.body.error.field).toBe(field);
        expect(res.body.error.message).toMatch(message);
      }
      for (const url of [
        '/api/control/checklist/no_such_table',
        '/api/control/series?metric=lag&table=no_such_table',
        '/api/control/dead-letters?table=no_such_table',
        '/api/control/history/parity?table=no_such_table',
      ]) {
        const res = await h.call('anonymous', 'GET', url);
        expect([url, res.status, res.body.error.message]).toEqual([
          url,
          404,
          expect.stringMatching(/no_such_table/),
        ]);
      }
      for (const [url, field] of [
        ['/api/control/series?metric=nope', 'metric'],
        ['/api/control/series?metric=lag&window=2y', 'window'],
        ['/api/control/audit?limit=0', 'limit'],
        ['/api/control/dead-letters?limit=x', 'limit'],
      ]) {
        const res = await h.call('anonymous', 'GET', url!);
        expect([url, res.status, res.body.error.field]).toEqual([url, 400, field]);
      }
      expect(await writtenState(h)).toEqual(before);
    });

    it('moves a read stage and rolls it back, audited with the token user', async () => {
      const set = await h.call('admin', 'POST', `/api/control/flags/${table}`, {
        stage: 'shadow',
        reason: 'start comparing',
      });
      expect(set.status).toBe(200);
      const entry = set.body.tables.find((t: { table: string }) => t.table === table);
      expect(entry).toEqual({
        table,
        stage: 'shadow',
        percent: 0,
        updatedAt: expect.any(Number),
        updatedBy: ADMIN,
      });
      const ramp = await h.call('admin', 'POST', `/api/control/flags/${table}`, {
        stage: 'convex-percent',
        percent: 25,
        reason: 'ramp',
      });
      expect(ramp.body.tables.find((t: { table: string }) => t.table === table).percent).toBe(25);
      const back = await h.call('admin', 'POST', `/api/control/flags/${table}/rollback`, {
        reason: 'drift seen',
      });
      expect(back.status).toBe(200);
      expect(back.body.tables.find((t: { table: string }) => t.table === table).stage).toBe(
        'postgres',
      );
      const { rows } = await h.db.pool.query(
        `SELECT stage FROM tandem.read_flag WHERE table_name = $1`,
        [table],
      );
      expect(rows).toEqual([{ stage: 'postgres' }]);
      const flags = await h.call('anonymous', 'GET', '/api/control/flags');
      expect(flags.body.stages).toEqual([
        'postgres',
        'shadow',
        'convex-internal',
        'convex-percent',
        'convex',
      ]);
      expect(flags.body.tables.map((t: { table: string }) => t.table)).toEqual(
        h.mirror.tables.map((t) => t.name),
      );
      const audit = await h.call('anonymous', 'GET', '/api/control/audit?limit=3');
      expect(
        audit.body.entries.map((e: { action: string; actor: string; target: string }) => [
          e.action,
          e.actor,
          e.target,
        ]),
      ).toEqual([
        ['flags.rollback', ADMIN, table],
        ['flags.set', ADMIN, table],
        ['flags.set', ADMIN, table],
      ]);
      expect(audit.body.entries[0].detail).toMatchObject({
        from: { stage: 'convex-percent', percent: 25 },
        to: { stage: 'postgres', percent: 0 },
        why: 'drift seen',
      });
    });

    it('lists dead letters with payload, retries one into the outbox and discards another, audited', async () => {
      const retryId = await addDeadLetter(h, table, '["r1"]');
      const discardId = await addDeadLetter(h, table, '["d1"]');
      const list = await h.call('anonymous', 'GET', `/api/control/dead-letters?table=${table}`);
      expect(list.body.deadLetters).toEqual([
        {
          id: retryId,
          table,
          key: '["r1"]',
          op: 'update',
          reason: 'document too large',
          rule: 'document-size',
          column: 'title',
          attempts: 3,
          payload: { title: 'x' },
          createdAt: expect.any(Number),
        },
        expect.objectContaining({ id: discardId, key: '["d1"]' }),
      ]);
      const retried = await h.call('admin', 'POST', `/api/control/dead-letters/${retryId}/retry`);
      expect([retried.status, retried.body]).toEqual([200, { retried: [retryId] }]);
      const outbox = await h.db.pool.query(
        `SELECT status, attempts FROM tandem.outbox WHERE table_name = $1 AND key = '["r1"]'`,
        [table],
      );
      expect(outbox.rows).toEqual([{ status: 'pending', attempts: 0 }]);
      const discarded = await h.call(
        'admin',
        'POST',
        `/api/control/dead-letters/${discardId}/discard`,
        { reason: 'obsolete' },
      );
      expect([discarded.status, discarded.body]).toEqual([200, { discarded: discardId }]);
      const again = await h.call('admin', 'POST', `/api/control/dead-letters/${discardId}/discard`);
      expect(again.status).toBe(404);
      expect(
        (await h.call('anonymous', 'GET', '/api/control/dead-letters')).body.deadLetters,
      ).toEqual([]);
      const audit = await h.call('anonymous', 'GET', '/api/control/audit?limit=2');
      expect(
        audit.body.entries.map((e: { action: string; actor: string; target: string }) => [
          e.action,
          e.actor,
          e.target,
        ]),
      ).toEqual([
        ['dlq.discard', ADMIN, String(discardId)],
        ['dlq.retry', ADMIN, String(retryId)],
      ]);
    });

    it('never shows a token, key or connection string, even where an operator typed one', async () => {
      const leaky = `token ${Object.keys(TOKENS)[2]} and ${h.db.url} and postgres://app:s3cret-pw@db.internal/app`;
      const set = await h.call('admin', 'POST', `/api/control/flags/${table}`, {
        stage: 'shadow',
        reason: leaky,
      });
      expect(set.status).toBe(200);
      const id = await addDeadLetter(h, table, '["leak"]');
      await h.call('admin', 'POST', `/api/control/dead-letters/${id}/discard`, { reason: leaky });
      const texts: string[] = [];
      for (const url of [
        '/api/control/overview',
        '/api/control/flags',
        '/api/control/audit',
        '/api/control/dead-letters',
        '/api/control/history/parity',
        '/api/control/history/alerts',
        `/api/control/checklist/${table}`,
        '/api/control/series?metric=lag',
      ]) {
        const res = await h.call('anonymous', 'GET', url);
        expect([url, res.status]).toEqual([url, 200]);
        texts.push(res.text);
      }
      const all = texts.join('\n');
      for (const secret of [...Object.keys(TOKENS), h.db.url, 's3cret-pw', 'postgres://'])
        expect(all).not.toContain(secret);
      const audit = JSON.parse(texts[2]!) as {
        entries: Array<{ action: string; detail: Record<string, unknown> }>;
      };
      expect(audit.entries.find((e) => e.action === 'flags.set')!.detail.why).toBe(
        `token ${REDACTED} and ${REDACTED} and ${REDACTED}`,
      );
    });
  });
});
