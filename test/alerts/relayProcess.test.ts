/**
 * A running `tandem relay` evaluates the alert rules on their interval and
 * serves /healthz beside /metrics: a dead letter fires the rule (logged and
 * recorded), /healthz reports the process and its active alert, and a
 * SIGTERM stops the relay and the rules cleanly. Driven through the CLI on a
 * small shop schema, with the rules from the project config file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runTandem } from '../support/cliRun.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

describe.each(backends)('alert rules in a running relay [%s]', (backend) => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(`CREATE SCHEMA shop; CREATE TABLE shop.item (sku text PRIMARY KEY, price numeric NOT NULL);`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-relay-alerts-'));
    fs.writeFileSync(
      path.join(dir, 'tandem.config.json'),
      JSON.stringify({ schema: 'shop', alerts: { intervalSeconds: 1, default: { deadLetters: { for: 0 }, untrackedWrites: { enabled: false } } } }),
    );
    await runTandem(dir, db.url, ['init']);
    await runTandem(dir, db.url, ['capture', 'install']);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fires a rule on its interval, reports it on /healthz, and stops on SIGTERM', async () => {
    await db.pool.query(
      `INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, reason) VALUES (1, '1', 'item', '"a"', 'insert', 'x')`,
    );
    const child = spawn(process.execPath, [CLI, 'relay', '--metrics-port', '0'], {
      cwd: dir,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        TANDEM_CONFIG: '',
        TANDEM_LOG_LEVEL: 'info',
        CONVEX_URL: 'http://127.0.0.1:9',
        CONVEX_DEPLOY_KEY: 'relay-alerts-test-key',
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let health: Record<string, unknown> | undefined;
      while (Date.now() < deadline) {
        const url = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(stderr)?.[1];
        if (url) {
          health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
          if ((health.alerts as { active?: number }).active === 1) break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(health).toEqual({
        ok: true,
        pid: child.pid,
        uptimeSeconds: expect.any(Number),
        relay: { running: true, workers: 1, applied: 0, retried: 0, dead: 0 },
        alerts: { evaluated: true, active: 1 },
      });
      // /healthz counts the alert as soon as it is evaluated; its record and log line follow within the tick.
      const events = () => db.pool.query(`SELECT rule, table_name, from_state, to_state, summary FROM tandem.alert_event`);
      while (Date.now() < deadline && ((await events()).rows.length === 0 || !/alert firing.*\n/.test(stderr)))
        await new Promise((r) => setTimeout(r, 100));
      const { rows } = await events();
      expect(rows).toEqual([
        { rule: 'deadLetters', table_name: 'item', from_state: 'inactive', to_state: 'firing', summary: 'item: unresolved dead letters 1 > 0' },
      ]);
      const logged = stderr
        .split('\n')
        .filter((l) => l.includes('alert firing'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.map((l) => [l.level, l.alert, l.table, l.msg])).toEqual([
        [50, 'deadLetters', 'item', 'alert firing: item: unresolved dead letters 1 > 0'],
      ]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
