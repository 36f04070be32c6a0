/**
 * `tandem dev` runs the project config's automatic read rollback rules
 * (`cutover.rollback`) in the stack it serves, as `serve` does
 * (test/cli/readRollbackServing.test.ts): a table at `shadow` with a dead
 * letter over its rule's threshold is set back to `postgres` by the dev stack,
 * the audit naming the rule. Run as a user runs it, the compiled CLI in a
 * process of its own, on free ports and a home of its own. (`demo` is checked
 * the same way in test/cli/demo.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusedCli, startTandemUntil } from '../support/cliRun.js';
import { ROLLBACK_CONFIG, autoRollbackOnDeadLetter, writeStorySiteConfig } from '../support/rollbackRulesServed.js';
import { freePort } from '../support/services.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-dev-rollback-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('tandem dev and the config\'s rollback rules', () => {
  it('rolls a table back to postgres by the config\'s rule', async () => {
    const configFile = writeStorySiteConfig(home, { rollback: ROLLBACK_CONFIG });
    const [api, pgPort, convexPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const dev = startTandemUntil(
      ['dev', '--port', String(api), '--pg-port', String(pgPort), '--convex-port', String(convexPort)],
      {
        cwd: home,
        env: { ...process.env, TANDEM_HOME: path.join(home, '.tandem'), TANDEM_LOG_LEVEL: 'silent', DATABASE_URL: '', TANDEM_CONFIG: configFile },
      },
      /Postgres \(PGlite[^)]*\): (postgres\S+)/,
    );
    const exited = new Promise((resolve) => dev.child.on('exit', resolve));
    try {
      const postgresUrl = (await dev.matched)[1]!;
      // The banner is printed once the stack serves.
      expect(await autoRollbackOnDeadLetter(postgresUrl)).toEqual([{ rule: 'deadLetters', from: 'shadow', to: 'postgres' }]);
    } finally {
      dev.child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);

  it('refuses to start with a shadow sample rate for a read the application does not have, and exits', async () => {
    const configFile = writeStorySiteConfig(home, { shadow: { sampleRates: { languageByID: 0.5 } } });
    const [api, pgPort, convexPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const refused = await refusedCli(['dev', '--port', String(api), '--pg-port', String(pgPort), '--convex-port', String(convexPort)], {
      cwd: home,
      env: { ...process.env, TANDEM_HOME: path.join(home, '.tandem'), TANDEM_LOG_LEVEL: 'silent', DATABASE_URL: '', TANDEM_CONFIG: configFile },
      timeout: 60_000,
    });
    expect({ code: refused.code, stderr: refused.stderr.trim().split('\n').at(-1) }).toEqual({ code: 2, stderr: 'tandem: sampleRate.languageByID: names no read method of this spec (none in its tables)' });
  }, 180_000);
});
