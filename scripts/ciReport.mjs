#!/usr/bin/env node
/**
 * Reads vitest's JSON report for CI and fails closed: a missing, unparseable,
 * oddly shaped or empty report is a failure, never "0 failed". Also fails
 * when a `[postgres]` test did not pass (pending, skipped, todo), when a test
 * file that runs on real PostgreSQL ran no passing `[postgres]` test, and when
 * a test file failed outside its tests (an import error, a hook).
 *
 *   node scripts/ciReport.mjs <report.json> [--scan | <test file that must run [postgres] tests>...]
 *
 * `--scan`: every test file under test/ whose source calls availableBackends()
 * or names a `[postgres]` test must run one.
 *
 * Prints the failed tests (with the first line of each failure) and the problems, then `N passed, N failed` (tests; every problem counts
 * as one failed), and exits 0 only when nothing failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const POSTGRES = /\[postgres\]/;
const STATUSES = new Set(['passed', 'failed', 'pending', 'skipped', 'todo', 'disabled']);

/** Test files whose source runs suites on real PostgreSQL (they name the backend or ask for one). */
export function postgresTestFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts')) {
        const source = fs.readFileSync(full, 'utf8');
        if (/availableBackends\(|\[postgres\]/.test(source) && !/ci-report: no postgres/.test(source))
          files.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  walk(path.join(root, 'test'));
  return files.sort();
}

/**
 * Counts of a parsed vitest JSON report, and every reason it is not a pass.
 * `postgresFiles`: test files (relative paths) that must each pass a `[postgres]` test.
 */
export function checkReport(report, { postgresFiles = [], root = process.cwd() } = {}) {
  const problems = [];
  if (typeof report !== 'object' || report === null || !Array.isArray(report.testResults)) {
    return { passed: 0, failed: 1, problems: ['the report has no testResults array'] };
  }
  let passed = 0;
  let failed = 0;
  const failedTests = [];
  const postgresPassed = new Map();
  for (const file of report.testResults) {
    const name = typeof file?.name === 'string' ? path.relative(root, file.name).split(path.sep).join('/') : null;
    if (!name || !Array.isArray(file.assertionResults)) {
      problems.push(`a test file entry has no name or no assertionResults: ${JSON.stringify(file).slice(0, 200)}`);
      continue;
    }
    if (file.status === 'failed' && file.assertionResults.every((t) => t?.status !== 'failed')) {
      problems.push(`${name} failed outside its tests: ${String(file.message ?? '').split('\n')[0]}`);
    }
    for (const test of file.assertionResults) {
      const title = [...(Array.isArray(test?.ancestorTitles) ? test.ancestorTitles : []), test?.title].join(' > ');
      if (!STATUSES.has(test?.status)) {
        problems.push(`${name}: unknown status ${JSON.stringify(test?.status)} for "${title}"`);
        continue;
      }
      if (test.status === 'passed') passed++;
      else if (test.status === 'failed') {
        failed++;
        failedTests.push(`${name} > ${title}: ${String(test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300)}`);
      }
      if (POSTGRES.test(title)) {
        if (test.status === 'passed') postgresPassed.set(name, (postgresPassed.get(name) ?? 0) + 1);
        else if (test.status !== 'failed') problems.push(`${name}: [postgres] test ${test.status}: "${title}"`);
      }
    }
  }
  if (passed + failed === 0) problems.push('the report holds no test results');
  if (typeof report.numFailedTests === 'number' && report.numFailedTests !== failed) {
    problems.push(`the report counts ${report.numFailedTests} failed tests, its results ${failed}`);
  }
  for (const file of postgresFiles) {
    if (!postgresPassed.has(file)) problems.push(`${file}: no [postgres] test passed (the real-PostgreSQL suite did not run)`);
  }
  return { passed, failed: failed + problems.length, problems, failedTests, postgresPassed: [...postgresPassed.values()].reduce((a, b) => a + b, 0) };
}

function main(argv) {
  const [reportFile, ...rest] = argv;
  const postgresFiles = rest.includes('--scan') ? postgresTestFiles(process.cwd()) : rest;
  let result;
  try {
    if (!reportFile) throw new Error('usage: ciReport.mjs <report.json> [postgres test files...]');
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    result = checkReport(report, { postgresFiles });
  } catch (error) {
    result = { passed: 0, failed: 1, problems: [`the test report cannot be read: ${error.message}`] };
  }
  // The failed tests again at the end, where a reader of only the tail of the log finds them.
  for (const failure of result.failedTests ?? []) console.log(`CI: failed: ${failure}`);
  for (const problem of result.problems) console.log(`CI: ${problem}`);
  if (result.postgresPassed !== undefined) console.log(`real-PostgreSQL tests passed: ${result.postgresPassed}`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  return result.failed === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.log(`CI: the report check crashed: ${error?.stack ?? error}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  }
}
