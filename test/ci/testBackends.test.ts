/**
 * TANDEM_TEST_BACKENDS narrows the backends database suites run on (mutation
 * runs use real PostgreSQL only); a narrowing that leaves none, or names an
 * unknown backend, fails instead of letting the suites run nothing.
 *
 * ci-report: no postgres: it tests how availableBackends() reads the
 * environment; no database is opened, so there is no [postgres] case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, isPostgresReachable } from '../support/db.js';

const saved = process.env.TANDEM_TEST_BACKENDS;

describe('TANDEM_TEST_BACKENDS', () => {
  afterEach(() => {
    if (saved === undefined) delete process.env.TANDEM_TEST_BACKENDS;
    else process.env.TANDEM_TEST_BACKENDS = saved;
  });

  it('narrows the reachable backends to the named ones, and refuses what leaves none', async () => {
    const reachable = await isPostgresReachable();
    delete process.env.TANDEM_TEST_BACKENDS;
    expect(await availableBackends()).toEqual(reachable ? ['pglite', 'postgres'] : ['pglite']);
    process.env.TANDEM_TEST_BACKENDS = 'pglite';
    expect(await availableBackends()).toEqual(['pglite']);
    process.env.TANDEM_TEST_BACKENDS = 'postgres, pglite';
    expect(await availableBackends()).toEqual(reachable ? ['pglite', 'postgres'] : ['pglite']);
    process.env.TANDEM_TEST_BACKENDS = 'postgres';
    if (reachable) expect(await availableBackends()).toEqual(['postgres']);
    else
      await expect(availableBackends()).rejects.toThrow(
        'TANDEM_TEST_BACKENDS=postgres leaves no backend (reachable: pglite)',
      );
    process.env.TANDEM_TEST_BACKENDS = 'pglite,oracle';
    await expect(availableBackends()).rejects.toThrow(
      'TANDEM_TEST_BACKENDS names unknown backends: oracle',
    );
  });
});
