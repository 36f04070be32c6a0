/**
 * The stand-in's query faults (failing Convex reads, for the read cutover's
 * rollback rules): drawn independently of the mutation faults, validated like
 * them, and a rate outside 0–1 refused by `tandem convex-local` before anything
 * starts. Pure functions and a refused command: no database is opened.
 * ci-report: no postgres: nothing here runs on a database backend; the
 * injected failures themselves are exercised through the serving stack in
 * test/cli/readRollbackServing.test.ts, on both backends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { drawQueryFault, NO_FAULTS, validateFaults } from '../../src/convexLocal/faults.js';
import { refusedTandem } from '../support/cliRun.js';

describe('query faults of the local stand-in', () => {
  it('fails a query when the draw is below the rate, and only then', () => {
    const rate = { ...NO_FAULTS, queryFailRate: 0.3 };
    expect(drawQueryFault(rate, () => 0.29)).toBe('fail');
    expect(drawQueryFault(rate, () => 0.3)).toBe('none');
    expect(drawQueryFault(NO_FAULTS, () => 0)).toBe('none');
    // The mutation rates never fail a query.
    expect(drawQueryFault({ ...NO_FAULTS, failRate: 1, timeoutRate: 0 }, () => 0)).toBe('none');
  });

  it('validates the rate on its own: above 1 or negative is refused, beside a full mutation fail rate is not', () => {
    expect(() => validateFaults({ ...NO_FAULTS, queryFailRate: 1.5 })).toThrow('queryFailRate must be at most 1');
    expect(() => validateFaults({ ...NO_FAULTS, queryFailRate: -0.1 })).toThrow('queryFailRate must be a non-negative number');
    expect(() => validateFaults({ ...NO_FAULTS, failRate: 1, queryFailRate: 1 })).not.toThrow();
  });

  it('`tandem convex-local --query-fail-rate 2` is refused naming the option, nothing started', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-query-faults-'));
    try {
      const failure = await refusedTandem(dir, 'postgres://unused', ['convex-local', '--query-fail-rate', '2']);
      expect(failure.code).toBe(1);
      expect(failure.stdout).toBe('');
      expect(failure.stderr.split('\n')[0]).toBe("error: option '--query-fail-rate <r>' argument '2' is invalid. a number from 0 to 1");
      // No data dir was made.
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
