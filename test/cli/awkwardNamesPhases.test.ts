/**
 * Awkward schema names through the phase commands, driven through the CLI on
 * the application of awkwardFixture.ts (schema `My App-"2"`, tool schema
 * `Mig-Tool "1"`): the checklist and advance, freeze (the write trigger refuses
 * a write) and unfreeze, archive and restore into another awkward schema, and
 * decommission into the tool schema's own retired schema, and a partitioned table
 * decommissioned by renaming it in place (kept as named as SQL writes it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../../src/mapping/tableConfig.js';
import { availableBackends } from '../support/db.js';
import { retiredSchemaOf } from '../../src/phases/decommission.js';
import { APP_SCHEMA, createCapturedAwkwardApp, S, TOOL, userSchemas, type AwkwardApp } from './awkwardFixture.js';

const backends = await availableBackends();

describe.each(backends)('awkward schema names through the CLI phase commands [%s]', (backend) => {
  let app: AwkwardApp;
  const sql = (text: string, values: unknown[] = []) => app.db.pool.query(text, values);
  const lines = (text: string) => text.trim().split('\n');

  beforeAll(async () => {
    app = await createCapturedAwkwardApp(backend);
  }, 120_000);
  afterAll(() => app?.close());

  it('lists the checklist and advances, freezes (a write is refused) and unfreezes, archives, restores and decommissions', async () => {
    const [entry] = JSON.parse((await app.tandem(['checklist', 'entry', '--json'])).stdout);
    expect(entry.gates[0]).toEqual({
      gate: 'capture-on',
      description: 'capture installed and enabled on the table',
      met: true,
      evidence: 'capture trigger enabled and current',
      metAt: null,
    });
    expect([entry.phase, entry.next, entry.unmet]).toEqual(['not-mirrored', 'mirroring', []]);
    const moves = [];
    for (let i = 0; i < 5; i++)
      moves.push((await app.tandem(['advance', 'entry', '--force', '--why', 'awkward test'])).stdout.split(' (')[0]!.trim());
    expect(moves).toEqual([
      'entry: not-mirrored -> mirroring',
      'entry: mirroring -> backfilled',
      'entry: backfilled -> verified',
      'entry: verified -> reads-on-convex',
      'entry: reads-on-convex -> writes-on-convex',
    ]);
    await app.tandem(['flags', 'set', 'entry', 'convex', '--force', '--why', 'awkward test']);
    expect((await app.tandem(['freeze', 'entry', '--why', 'awkward test', '--drain-timeout-ms', '20000'])).stdout).toBe(
      'entry: frozen, outbox drained, final full parity clean (24 rows compared)\n',
    );
    // Refused, naming the table as SQL writes it (the schema quoted).
    await expect(sql(`UPDATE ${S}.entry SET note = 'x' WHERE seq = 1`)).rejects.toMatchObject({
      code: 'TF001',
      message: expect.stringMatching(new RegExp(`^table ${S.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.entry is frozen`)),
    });
    expect((await app.tandem(['unfreeze', 'entry', '--why', 'awkward test'])).stdout).toBe(
      'entry: unfrozen, phase writes-on-convex\n',
    );
    expect((await sql(`UPDATE ${S}.entry SET note = 'x' WHERE seq = 1`)).rowCount).toBe(1);
    await app.tandem(['relay', '--once']);
    await app.tandem(['freeze', 'entry', '--why', 'awkward test', '--drain-timeout-ms', '20000']);

    const out = path.join(app.dir, 'entry-archive');
    expect((await app.tandem(['archive', 'entry', '--out', out])).stdout).toBe(
      `entry: archive of 24 row(s) at ${out} verified: checksums match, a scratch restore equals the table\n`,
    );
    expect(fs.readFileSync(path.join(out, 'table.sql'), 'utf8')).toContain(`CREATE TABLE ${S}."entry" (`);
    const into = 'Restored "E"';
    // Refused into the (non-empty) application schema, and restored into a new one: each named as SQL writes it.
    expect(await app.tandemExit(['restore', out, '--into', APP_SCHEMA])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `schema ${S} exists and is not empty: restore into a new or empty schema`,
      ),
    });
    expect((await app.tandem(['restore', out, '--into', into])).stdout).toBe(
      `${out}: 24 row(s) restored into ${quoteIdentifier(into)}.entry, checksums match\n`,
    );
    const restored = await sql(
      `SELECT count(*)::int AS n FROM ${quoteIdentifier(into)}.entry r JOIN ${S}.entry e USING (account_id, seq, amount, note)`,
    );
    expect(restored.rows[0].n).toBe(24);

    // Decommissioned into this tool schema's own retired schema, never the shared `tandem_retired`.
    const src = path.join(app.dir, 'src');
    fs.mkdirSync(src);
    const toArchived = [];
    for (let i = 0; i < 2; i++)
      toArchived.push((await app.tandem(['advance', 'entry', '--force', '--why', 'awkward test'])).stdout.split(' (')[0]!.trim());
    expect(toArchived).toEqual(['entry: writes-on-convex -> frozen', 'entry: frozen -> archived']);
    const retired = retiredSchemaOf(TOOL);
    expect(retired).toMatch(/^tandem_retired_[0-9a-f]{8}$/);
    expect(lines((await app.tandem(['decommission', 'entry', '--src', src])).stdout)[0]).toBe(
      `entry: decommissioned, kept as ${retired}.entry; capture removed`,
    );
    const kept = await sql(`SELECT count(*)::int AS n FROM ${retired}.entry`);
    expect(kept.rows[0].n).toBe(24);
    expect(await userSchemas(app.db)).toEqual([TOOL.name, APP_SCHEMA, into, retired]);
  }, 120_000);

  it('decommissions a partitioned table renamed in place, naming where it is kept as SQL writes it', async () => {
    for (let i = 0; i < 5; i++) await app.tandem(['advance', 'reading', '--force', '--why', 'awkward test']);
    await app.tandem(['flags', 'set', 'reading', 'convex', '--force', '--why', 'awkward test']);
    await app.tandem(['freeze', 'reading', '--why', 'awkward test', '--drain-timeout-ms', '20000']);
    await app.tandem(['archive', 'reading', '--out', path.join(app.dir, 'reading-archive')]);
    for (let i = 0; i < 2; i++) await app.tandem(['advance', 'reading', '--force', '--why', 'awkward test']);
    const src = path.join(app.dir, 'src-reading');
    fs.mkdirSync(src);
    const renamed = 'Reading "Kept"';
    const keptAs = `${S}.${quoteIdentifier(renamed)}`;
    expect(keptAs).toBe('"My App-""2"""."Reading ""Kept"""');
    expect(lines((await app.tandem(['decommission', 'reading', '--src', src, '--rename-to', renamed])).stdout)[0]).toBe(
      `reading: decommissioned, kept as ${keptAs}; capture removed`,
    );
    // The name printed and audited is one SQL takes as it is; the partitions' rows came along.
    expect((await sql(`SELECT count(*)::int AS n FROM ${keptAs}`)).rows[0].n).toBe(10);
    const audit = await sql(
      `SELECT detail->>'keptAs' AS kept FROM ${quoteIdentifier(TOOL.name)}.audit_log WHERE action = 'decommission' AND target = 'reading'`,
    );
    expect(audit.rows).toEqual([{ kept: keptAs }]);
  }, 120_000);
});
