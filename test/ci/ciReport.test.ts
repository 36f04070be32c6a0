/**
 * CI's reading of the vitest report fails closed (scripts/ciReport.mjs): every
 * shape it does not expect, and every real-PostgreSQL test that did not pass,
 * is a failure with a reason, never "N passed, 0 failed".
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { checkReport } from '../../scripts/ciReport.mjs';

type Check = (report: unknown, options?: { postgresFiles?: string[]; root?: string }) => {
  passed: number;
  failed: number;
  problems: string[];
  failedTests?: string[];
};
const check = checkReport as Check;
const root = '/repo';

const test = (title: string, status: string, ancestors: string[] = []) => ({ title, status, ancestorTitles: ancestors });
const file = (name: string, tests: unknown[], status = 'passed') => ({ name: `${root}/${name}`, status, assertionResults: tests });
const report = (...files: unknown[]) => ({ numFailedTests: 0, testResults: files });

describe('CI report check', () => {
  it('counts a clean report: passed tests, nothing failed', () => {
    const clean = report(
      file('test/a.test.ts', [test('x [pglite]', 'passed'), test('x [postgres]', 'passed')]),
      file('test/b.test.ts', [test('y', 'passed')]),
    );
    expect(check(clean, { postgresFiles: ['test/a.test.ts'], root })).toEqual({
      passed: 3,
      failed: 0,
      problems: [],
      failedTests: [],
      postgresPassed: 1,
    });
  });

  it('fails on a report of an unexpected shape, or with no results', () => {
    for (const bad of [null, 'text', {}, { testResults: {} }, { numPassedTests: 3, numFailedTests: 0 }]) {
      expect(check(bad, { root })).toEqual({ passed: 0, failed: 1, problems: ['the report has no testResults array'] });
    }
    expect(check(report(), { root })).toMatchObject({ failed: 1, problems: ['the report holds no test results'] });
    expect(check(report({ name: 3 }, file('test/a.test.ts', [test('x', 'passed')])), { root })).toMatchObject({
      passed: 1,
      failed: 1,
      problems: [expect.stringMatching(/^a test file entry has no name or no assertionResults/)],
    });
    expect(check(report(file('test/a.test.ts', [test('x', 'weird')])), { root }).problems).toEqual([
      'test/a.test.ts: unknown status "weird" for "x"',
      'the report holds no test results',
    ]);
  });

  it('fails on a [postgres] test that was skipped or pending, and on a real-PostgreSQL suite that did not run', () => {
    const skipped = report(
      file('test/a.test.ts', [test('x [postgres]', 'passed'), test('y', 'skipped', ['suite [postgres]'])]),
      file('test/b.test.ts', [test('z [pglite]', 'passed'), test('z [postgres]', 'pending')]),
    );
    expect(check(skipped, { postgresFiles: ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts'], root })).toMatchObject({
      passed: 2,
      failed: 4,
      problems: [
        'test/a.test.ts: [postgres] test skipped: "suite [postgres] > y"',
        'test/b.test.ts: [postgres] test pending: "z [postgres]"',
        'test/b.test.ts: no [postgres] test passed (the real-PostgreSQL suite did not run)',
        'test/c.test.ts: no [postgres] test passed (the real-PostgreSQL suite did not run)',
      ],
    });
  });

  it('fails on a file that failed outside its tests, and on counts that disagree with the results', () => {
    const broken = { numFailedTests: 2, testResults: [file('test/a.test.ts', [test('x', 'passed')], 'failed')] };
    expect(check(broken, { root }).problems).toEqual([
      'test/a.test.ts failed outside its tests: ',
      'the report counts 2 failed tests, its results 0',
    ]);
    const failing = { ...test('x [postgres]', 'failed', ['suite']), failureMessages: ['AssertionError: expected 3 to be 4\n    at stack'] };
    const oneFailed = { numFailedTests: 1, testResults: [file('test/a.test.ts', [failing], 'failed')] };
    expect(check(oneFailed, { root })).toEqual({
      passed: 0,
      failed: 1,
      problems: [],
      failedTests: ['test/a.test.ts > suite > x [postgres]: AssertionError: expected 3 to be 4'],
      postgresPassed: 0,
    });
  });

  it('as a script: a missing or unparseable report exits 1 with "0 passed, 1 failed" last', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-ci-report-'));
    try {
      const garbled = path.join(dir, 'garbled.json');
      fs.writeFileSync(garbled, '{"testResults": [');
      const clean = path.join(dir, 'clean.json');
      fs.writeFileSync(clean, JSON.stringify(report(file('test/a.test.ts', [test('x', 'passed')]))));
      const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/ciReport.mjs', ...args], { encoding: 'utf8' });
      for (const args of [[path.join(dir, 'missing.json')], [garbled], []]) {
        const result = run(...args);
        expect(result.status).toBe(1);
        expect(result.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
        expect(result.stdout).toMatch(/^CI: the test report cannot be read/);
      }
      const failedReport = path.join(dir, 'failed.json');
      const failing = { ...test('x', 'failed'), failureMessages: ['Error: boom'] };
      fs.writeFileSync(failedReport, JSON.stringify({ numFailedTests: 1, testResults: [{ ...file('test/a.test.ts', [failing], 'failed'), name: path.resolve('test/a.test.ts') }] }));
      // The failed test is named near the end of the log, just above the counts.
      expect(run(failedReport).stdout.trim().split('\n').slice(-3)).toEqual([
        'CI: failed: test/a.test.ts > x: Error: boom',
        'real-PostgreSQL tests passed: 0',
        '0 passed, 1 failed',
      ]);
      const ok = run(clean);
      expect([ok.status, ok.stdout.trim().split('\n').at(-1)]).toEqual([0, '1 passed, 0 failed']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
