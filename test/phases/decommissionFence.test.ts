/**
 * Decommission against reverse sync, which still writes a frozen table until
 * it is decommissioned: a reverse-sync page in flight when decommission starts
 * is waited for (decommission takes the page's lock first), and what that page
 * writes into the table makes the archive stale, so decommission refuses and
 * leaves the table where it was, instead of retiring a table that differs
 * from its archive. PostgreSQL only: it needs two sessions at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { advancePhase, archiveTable, checklist, decommissionTable, PHASES } from '../../src/phases/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const TOOL = DEFAULT_TOOL_SCHEMA;
const backends = (await availableBackends()).filter((b) => b === 'postgres');

describe.each(backends)('decommission fences reverse sync [%s]', (backend) => {
  let db: TestDatabase;
  let mirror: MirrorConfig;
  let out: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, TOOL);
    await db.pool.query(`
      CREATE SCHEMA shop;
      CREATE TABLE shop.sku (code text PRIMARY KEY, price numeric NOT NULL);
      INSERT INTO shop.sku VALUES ('a', 1), ('b', 2);`);
    mirror = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'shop' }, null))).mirror;
    await installCapture(db.pool, { tool: TOOL, tables: ['sku'], mirror });
    for (const to of PHASES.slice(1, PHASES.indexOf('archived') + 1))
      await advancePhase(db.pool, TOOL, mirror, 'sku', { to, force: true, why: 'the fence is what is tested' });
    out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-fence-')), 'sku');
    expect((await archiveTable(db.pool, TOOL, mirror, 'sku', { out })).verified).toBe(true);
  });

  afterAll(async () => {
    await db?.close();
    if (out) fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });

  /** Until the decommission's session waits on a lock (or has already finished). */
  async function untilWaitingOrSettled(settled: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !settled(); i++) {
      const { rows } = await db.pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('[postgres] waits for a page in flight, sees what it wrote, refuses, and moves nothing', async () => {
    const page = await db.pool.connect();
    try {
      // A reverse-sync page: it holds the cursor row's lock and has not yet reached this table.
      await page.query(`BEGIN; SET LOCAL tandem.reverse_sync = 'on'`);
      await page.query(`SELECT cursor_seq FROM tandem.reverse_sync_state FOR UPDATE`);
      let settled = false;
      const decommission = decommissionTable(db.pool, TOOL, mirror, 'sku', {
        sources: { guardReferences: async () => [] },
      }).finally(() => (settled = true));
      decommission.catch(() => undefined);
      await untilWaitingOrSettled(() => settled);
      await page.query(`INSERT INTO shop.sku VALUES ('c', 3)`);
      await page.query('COMMIT');
      await expect(decommission).rejects.toThrow(
        `sku: cannot enter decommissioned: archive-verified (the table changed since its archive at ${out} (2 row(s) archived, 3 now): run tandem archive sku again, then decommission)`,
      );
    } finally {
      await page.query('ROLLBACK').catch(() => undefined);
      page.release();
    }
    const [list] = await checklist(db.pool, TOOL, mirror, ['sku']);
    const where = await db.pool.query(`SELECT to_regclass('shop.sku') IS NOT NULL AS kept_in_place`);
    const capture = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'shop.sku'::regclass AND tgname = 'tandem_capture'`,
    );
    expect({ phase: list!.phase, inPlace: where.rows[0].kept_in_place, capture: capture.rows[0].n }).toEqual({
      phase: 'archived',
      inPlace: true,
      capture: 1,
    });
  });
});
