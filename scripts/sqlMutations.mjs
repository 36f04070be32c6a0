#!/usr/bin/env node
/**
 * Hand-made mutations of the capture SQL, which Stryker does not mutate (it
 * is SQL inside template strings, generated per table): each one is applied to
 * its source file, the tests named for it run, and at least one must fail.
 * The file is restored after each run, also when this script is interrupted.
 *
 *   node scripts/sqlMutations.mjs [<mutation name>...]    (all when none)
 *
 * Prints one line per mutation (killed: the failing tests; SURVIVED; ERROR
 * when the run broke with no failing test) and exits 1 unless every one was
 * killed. See docs/testing.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const TRIGGER = 'src/capture/captureFunction.ts';
const CAPTURE_TESTS = ['test/capture/capture.test.ts', 'test/capture/captureFunction.test.ts'];

export const SQL_MUTATIONS = [
  {
    name: 'trigger: new row image taken from OLD (OLD and NEW swapped)',
    file: TRIGGER,
    from: "return rowImageSql('NEW', {",
    to: "return rowImageSql('OLD', {",
    tests: CAPTURE_TESTS,
  },
  {
    name: 'trigger: DELETE keyed by NEW instead of OLD',
    file: TRIGGER,
    from: "${insertOutbox(values(oldKey, 'delete', 'NULL'))}",
    to: "${insertOutbox(values(newKey, 'delete', 'NULL'))}",
    tests: CAPTURE_TESTS,
  },
  {
    name: 'trigger: transaction id dropped (every event in one constant transaction)',
    file: TRIGGER,
    from: 'return `(pg_current_xact_id(), ',
    to: "return `('1'::xid8, ",
    tests: [...CAPTURE_TESTS, 'test/mirror/relay.test.ts'],
  },
  {
    name: 'trigger: key change not detected (no delete of the old key)',
    file: TRIGGER,
    from: 'IF ${oldKey} <> ${newKey} THEN',
    to: 'IF false THEN',
    tests: CAPTURE_TESTS,
  },
  {
    name: 'trigger: operation key ignored (every write untracked)',
    file: TRIGGER,
    from: "nullif(current_setting('tandem.operation_key', true), '')",
    to: 'NULL',
    tests: CAPTURE_TESTS,
  },
  {
    name: 'backfill: version query without the key filter (table-wide newest seq)',
    file: 'src/backfill/readPage.ts',
    from: 'WHERE o.table_name = $1::text AND o.key = k.key), 0)',
    to: 'WHERE o.table_name = $1::text), 0)',
    tests: ['test/backfill/concurrent.test.ts', 'test/backfill/readPage.test.ts'],
  },
];

function runMutation(mutation) {
  const original = fs.readFileSync(mutation.file, 'utf8');
  const at = original.indexOf(mutation.from);
  if (at < 0 || original.indexOf(mutation.from, at + 1) >= 0) {
    return { outcome: 'ERROR', detail: `"${mutation.from}" does not occur exactly once in ${mutation.file}` };
  }
  const restore = () => fs.writeFileSync(mutation.file, original);
  const interrupted = () => {
    restore();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    fs.writeFileSync(mutation.file, original.replace(mutation.from, mutation.to));
    const run = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.mutate.config.ts', '--reporter=json'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, TANDEM_MUTATE_TESTS: mutation.tests.join(',') },
    });
    let failing = [];
    try {
      const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')));
      failing = report.testResults.flatMap((f) =>
        // fullName carries the suite's name, so the backend ([pglite], [postgres]) shows.
        f.assertionResults.filter((t) => t.status === 'failed').map((t) => `${f.name.replace(`${process.cwd()}/`, '')}: ${t.fullName ?? t.title}`),
      );
    } catch {
      // No readable report: the run itself broke (ERROR below).
    }
    if (run.status === 0) return { outcome: 'SURVIVED', detail: `${mutation.tests.join(', ')} all passed` };
    // A run that broke without a failing test (an import or a hook) names no
    // test that catches the mutation: not counted as killed.
    if (failing.length === 0) return { outcome: 'ERROR', detail: `vitest exited ${run.status} with no failing test` };
    return { outcome: 'killed', detail: failing.join('; ') };
  } finally {
    restore();
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

const names = process.argv.slice(2);
const selected = names.length > 0 ? SQL_MUTATIONS.filter((m) => names.some((n) => m.name.includes(n))) : SQL_MUTATIONS;
let survived = 0;
for (const mutation of selected) {
  const started = Date.now();
  const { outcome, detail } = runMutation(mutation);
  if (outcome !== 'killed') survived++;
  console.log(`${outcome} ${mutation.name} (${((Date.now() - started) / 1000).toFixed(0)} s): ${detail}`);
}
process.exit(survived === 0 ? 0 : 1);
