/**
 * Awkward schema names through the read and write flag commands, driven through
 * the CLI on the application of awkwardFixture.ts (schema `My App-"2"`, tool
 * schema `Mig-Tool "1"`): read flags (set, list, rollback, history, and the
 * NOTIFY channel a running instance listens on), write groups and write stages
 * with their history, reverse-sync status, alert rules, and id reservations
 * from the awkward schema's sequence.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlagChannel } from '../../src/cutover/flagStore.js';
import { reserveKeys } from '../../src/keys/reserveKeys.js';
import { availableBackends } from '../support/db.js';
import { APP_SCHEMA, createCapturedAwkwardApp, MIRRORED, S, TOOL, type AwkwardApp } from './awkwardFixture.js';

const backends = await availableBackends();

describe.each(backends)('awkward schema names through the CLI flag commands [%s]', (backend) => {
  let app: AwkwardApp;
  const lines = (text: string) => text.trim().split('\n');

  beforeAll(async () => {
    app = await createCapturedAwkwardApp(backend);
  }, 120_000);
  afterAll(() => app?.close());

  it('sets, lists, rolls back and audits read stages', async () => {
    expect((await app.tandem(['flags', 'set', 'account', 'shadow', '--why', 'compare'])).stdout).toBe(
      'account: postgres → shadow\n',
    );
    expect(JSON.parse((await app.tandem(['flags', 'list', '--json'])).stdout)).toEqual([
      { table: 'account', stage: 'shadow', percent: 0 },
      { table: 'entry', stage: 'postgres', percent: 0 },
      { table: 'reading', stage: 'postgres', percent: 0 },
    ]);
    expect((await app.tandem(['flags', 'rollback', 'account', '--why', 'back'])).stdout).toBe(
      'account: shadow → postgres\n',
    );
    const history = JSON.parse((await app.tandem(['flags', 'history', 'account', '--json'])).stdout);
    expect(history.map((h: { from: { stage: string }; to: { stage: string }; why: string }) => [h.from.stage, h.to.stage, h.why])).toEqual([
      ['postgres', 'shadow', 'compare'],
      ['shadow', 'postgres', 'back'],
    ]);
  });

  // PGlite serves one session at a time over the wire: a second connection's LISTEN hears nothing there.
  if (backend === 'postgres')
    it("announces a stage change on the tool schema's own NOTIFY channel", async () => {
      const listener = new pg.Client({ connectionString: app.db.url });
      await listener.connect();
      const heard: string[] = [];
      try {
        listener.on('notification', (n) => heard.push(`${n.channel} ${n.payload}`));
        await listener.query(`LISTEN ${readFlagChannel(TOOL)}`);
        await app.tandem(['flags', 'set', 'reading', 'shadow', '--why', 'listen']);
        await app.tandem(['flags', 'rollback', 'reading', '--why', 'listen']);
        // The CLI has committed: the notifications were sent before this query's result.
        await listener.query('SELECT 1');
        expect(heard).toEqual([`${readFlagChannel(TOOL)} reading`, `${readFlagChannel(TOOL)} reading`]);
      } finally {
        await listener.end();
      }
    });

  it('saves write groups, moves one to convex-shadow and back, with history; reverse sync and alerts read the tool schema', async () => {
    expect(lines((await app.tandem(['plan', '--save-groups', '--why', 'awkward test'])).stdout).at(-1)).toBe(
      'saved write groups: 3 added, 0 changed, 0 removed, 0 unchanged',
    );
    // A write stage needs the group's reads on Convex.
    await app.tandem(['flags', 'set', 'entry', 'convex', '--force', '--why', 'awkward test']);
    expect(lines((await app.tandem(['flags', 'set', 'entry', '--writes', 'convex-shadow', '--reason', 'awkward test', '--force'])).stdout)[0]).toBe(
      'entry: writes postgres → convex-shadow (forced)',
    );
    expect((await app.tandem(['flags', 'list', '--writes'])).stdout).toBe(
      'account\tpostgres\taccount\nentry\tconvex-shadow\tentry\nreading\tpostgres\treading\n',
    );
    expect(lines((await app.tandem(['flags', 'rollback', 'entry', '--writes', '--reason', 'back'])).stdout)[0]).toMatch(
      /^entry: writes convex-shadow → postgres/,
    );
    const writes = JSON.parse((await app.tandem(['flags', 'history', 'entry', '--writes', '--json'])).stdout);
    expect(writes.map((h: { why: string }) => h.why)).toEqual(['awkward test', 'awkward test', 'back']);

    expect(JSON.parse((await app.tandem(['reverse-sync', 'status', '--json'])).stdout)).toMatchObject({
      cursor: 0,
      pending: 0,
      deadLetters: [],
    });
    const alerts = JSON.parse((await app.tandem(['alerts', 'list', '--json'])).stdout);
    expect(Object.keys(alerts.rules)).toEqual(MIRRORED);
    expect(alerts.current).toEqual([]);

    // Ids reserved for Convex writers come from the awkward schema's own sequence.
    const reserved = await reserveKeys(app.db.pool, { schema: APP_SCHEMA, table: 'account', column: 'id' }, 3);
    expect(reserved).toEqual({
      table: 'account',
      sequence: `${S}.account_id_seq`,
      runs: [{ first: 13, last: 15, step: 1 }],
      count: 3,
    });
  }, 120_000);
});
