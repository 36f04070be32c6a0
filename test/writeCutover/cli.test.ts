/**
 * The write cutover through the CLI on the film-rental example (not the story
 * site): `tandem plan` derives and saves the write groups (a checkout writes
 * rental and payment in one transaction) and lists a crossing transaction;
 * `tandem flags … --writes` refuses a move naming its reasons, forces it with
 * an audit, rolls back from convex-shadow, refuses a switch to convex whose
 * outbox no relay delivers and a rollback from convex that nothing can drain, and answers bad input with exit 2 and nothing changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setWriteStage } from '../../src/writeCutover/index.js';
import { refusedTandem, runTandem } from '../support/cliRun.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = path.join(root, 'examples/film-rental');
const GROUP = 'payment+rental';

describe('tandem plan and flags --writes on the film-rental schema [pglite]', () => {
  let db: TestDatabase;
  let dir: string;
  const tandem = (args: string[]) => runTandem(dir, db.url, args);
  const refused = (args: string[]) => refusedTandem(dir, db.url, args);
  const listWrites = async () =>
    JSON.parse((await tandem(['flags', 'list', '--writes', '--json'])).stdout);
  const history = async () => (await tandem(['flags', 'history', '--writes', '--json'])).stdout;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await db.pool.query(fs.readFileSync(path.join(example, 'schema.sql'), 'utf8'));
    await db.pool.query(fs.readFileSync(path.join(example, 'seed.sql'), 'utf8'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-writes-'));
    await tandem(['init']);
    await tandem(['capture', 'install']);
    // A checkout: the rental and its payment in one transaction.
    await db.pool.query(`BEGIN;
      INSERT INTO rental VALUES ('2024-03-01T10:00:00Z', 1, 'zoe', NULL);
      INSERT INTO payment VALUES (9001, '2024-03-01', 3.99, '2024-03-01T10:00:00Z', 1);
      COMMIT;`);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plan derives the groups from the outbox, saves them, and shows each with its phase and stage', async () => {
    const before = (await tandem(['plan'])).stdout;
    expect(before).toContain(
      'write groups (tables written by one write path or one transaction change writer together)\n  none saved:',
    );
    expect(before).toContain(`derived now:\n  actor: actor\n`);
    expect(before).toContain(`  ${GROUP}: payment, rental  (txid `);
    expect((await tandem(['plan', '--save-groups', '--why', 'first groups'])).stdout).toContain(
      'saved write groups: 9 added, 0 changed, 0 removed, 0 unchanged\n',
    );
    const json = JSON.parse((await tandem(['plan', '--json'])).stdout);
    expect(json.writeGroups.unsaved).toBe(false);
    expect(json.writeGroups.saved.find((g: { name: string }) => g.name === GROUP)).toEqual({
      name: GROUP,
      tables: ['payment', 'rental'],
      stage: 'postgres',
      paused: false,
      phase: 'not-mirrored',
    });
    expect((await listWrites()).map((g: { group: string }) => g.group)).toEqual([
      'actor',
      'category',
      'film',
      'film_actor',
      'inventory',
      'language',
      GROUP,
      'staff',
      'store',
    ]);
  }, 120_000);

  it('refuses a move naming its reasons, forces it with an audit, and rolls back from convex-shadow', async () => {
    const before = [await listWrites(), await history()];
    const no = await refused(['flags', 'set', GROUP, '--writes', 'convex', '--reason', 'try']);
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(
      new RegExp(
        `^tandem: stage: payment\\+rental: postgres → convex refused: reads are not on convex: payment reads at postgres, rental reads at postgres; gates unmet: payment backfill-complete \\(backfill is not started: run tandem backfill\\); .*; pass --force --reason "…" to do it anyway \\(audited\\)\\n$`,
      ),
    );
    expect([await listWrites(), await history()]).toEqual(before);
    const forced = (
      await tandem([
        'flags',
        'set',
        GROUP,
        '--writes',
        'convex-shadow',
        '--force',
        '--reason',
        'shadow drill',
      ])
    ).stdout;
    expect(forced).toMatch(
      /^payment\+rental: writes postgres → convex-shadow \(forced\)\n {2}overridden: reads are not on convex: payment reads at postgres, rental reads at postgres\n {2}overridden: gates unmet: /,
    );
    expect(
      (await tandem(['flags', 'rollback', GROUP, '--writes', '--reason', 'drill over'])).stdout,
    ).toBe(`${GROUP}: writes convex-shadow → postgres (writes paused 0 ms)\n`);
    expect(
      (await tandem(['flags', 'rollback', GROUP, '--writes', '--reason', 'again'])).stdout,
    ).toBe(`${GROUP} already writes to postgres\n`);
    const entries = JSON.parse(
      (await tandem(['flags', 'history', '--writes', GROUP, '--json'])).stdout,
    );
    expect(
      entries.map(
        (e: {
          action: string;
          from: string | null;
          to: string | null;
          forced: boolean;
          why: string;
        }) => [e.action, e.from, e.to, e.forced, e.why],
      ),
    ).toEqual([
      ['groups-saved', null, null, false, 'first groups'],
      ['set', 'postgres', 'convex-shadow', true, 'shadow drill'],
      ['rollback', 'convex-shadow', 'postgres', false, 'drill over'],
    ]);
    expect(entries[1].refusals.map((r: { reason: string }) => r.reason)).toEqual([
      'reads-not-convex',
      'gates-unmet',
    ]);
    expect(entries[0].actor).toMatch(/\(cli\)$/);
  }, 120_000);

  it('refuses a switch to convex while the outbox has events of the group that no relay delivers: the group stays on postgres', async () => {
    const before = [await listWrites(), await history()];
    const no = await refused([
      'flags',
      'set',
      GROUP,
      '--writes',
      'convex',
      '--force',
      '--reason',
      'cut over',
      '--deadline-ms',
      '200',
    ]);
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(
      /^tandem: outbox: payment\+rental: the outbox did not drain in time \(\d+ event\(s\) of its tables not yet in Convex; is the relay running\?\); writes stay on postgres, resumed after \d+ ms\n$/,
    );
    expect([await listWrites(), await history()]).toEqual(before);
  }, 120_000);

  it('refuses a rollback from convex when reverse sync cannot reach Convex to drain: the group keeps writing to convex', async () => {
    // Put at convex through the library: the CLI's switch needs a Convex deployment.
    await setWriteStage(db.pool, TOOL, {
      group: GROUP,
      stage: 'convex',
      force: true,
      why: 'cut over',
      actor: 'test',
      gates: async () => [],
    });
    const before = [await listWrites(), await history()];
    const no = await refused(['flags', 'rollback', GROUP, '--writes', '--reason', 'incident']);
    expect([no.code, no.stderr]).toEqual([
      2,
      'tandem: CONVEX_URL: no Convex target: set CONVEX_URL and CONVEX_DEPLOY_KEY, or start `tandem dev`\n',
    ]);
    expect([await listWrites(), await history()]).toEqual(before);
    expect((await listWrites()).find((g: { group: string }) => g.group === GROUP)).toEqual({
      group: GROUP,
      tables: ['payment', 'rental'],
      stage: 'convex',
      paused: false,
    });
  }, 120_000);

  it('a transaction crossing saved groups is listed by plan and refuses a move of either group', async () => {
    await db.pool.query(`BEGIN;
      UPDATE film SET title = 'Film 2 (restored)' WHERE film_id = 2;
      INSERT INTO payment VALUES (9002, '2024-03-02', 1.00, NULL, NULL);
      COMMIT;`);
    expect((await tandem(['plan'])).stdout).toMatch(
      /write paths crossing groups \(their groups cannot move writes until resolved\):\n {2}txid \d+ \(transaction\): film, payment in film, payment\+rental\n/,
    );
    const no = await refused([
      'flags',
      'set',
      'film',
      '--writes',
      'convex-shadow',
      '--reason',
      'x',
    ]);
    expect(no.stderr).toMatch(
      /; write paths cross groups: txid \d+ \(transaction\) writes film, payment in groups film, payment\+rental; pass --force/,
    );
  }, 120_000);

  it('bad input exits 2 with a clear message and changes nothing', async () => {
    const before = [await listWrites(), await history()];
    const cases: Array<[string[], string]> = [
      [
        ['flags', 'set', 'nope', '--writes', 'convex', '--reason', 'x'],
        'tandem: group: "nope" is not a saved write group (known: actor, category, film, film_actor, inventory, language, payment+rental, staff, store)\n',
      ],
      [
        ['flags', 'set', 'film', '--writes', 'sideways', '--reason', 'x'],
        'tandem: stage: unknown write stage "sideways" (one of postgres, convex-shadow, convex)\n',
      ],
      [
        ['flags', 'set', 'film', '--writes', 'convex'],
        'tandem: why: say why (--why "…" or --reason "…"); it is recorded in the audit log\n',
      ],
      [
        ['flags', 'set', 'film', 'shadow', '--writes', 'convex', '--reason', 'x'],
        'tandem: stage: give the write stage once, as --writes <stage> (got also "shadow")\n',
      ],
      [
        ['flags', 'set', GROUP, '--writes', 'postgres', '--reason', 'x'],
        'tandem: stage: payment+rental: convex → postgres refused: Convex is the writer; moving it back drains reverse sync first (use tandem flags rollback payment+rental --writes)\n',
      ],
      [
        ['flags', 'rollback', '--writes', '--reason', 'x'],
        'tandem: group: give one write group (--all is for read stages)\n',
      ],
      [
        ['flags', 'set', 'film'],
        'tandem: stage: give a stage (or --writes <stage> for a write group)\n',
      ],
      [
        ['plan', '--save-groups'],
        'tandem: why: say why (--why "…" or --reason "…"); it is recorded in the audit log\n',
      ],
    ];
    for (const [args, message] of cases) {
      const err = await refused(args);
      expect([args.join(' '), err.code, err.stderr]).toEqual([args.join(' '), 2, message]);
    }
    expect([await listWrites(), await history()]).toEqual(before);
  }, 240_000);
});
