#!/usr/bin/env node
/**
 * Re-tests the mutants that survived a module's last Stryker run
 * (reports/mutation/<module>.json) against today's tests, without a whole
 * Stryker run: after tests were added for the survivors, this shows which of
 * them the new tests kill, in minutes instead of the half hour a database-bound
 * module's full run takes on a shared machine.
 *
 *   node scripts/replaySurvivors.mjs <module> [--tests a.test.ts,b.test.ts] [--report name]
 *
 * --report reads reports/mutation/<name>.json instead (a run of some of the
 * module's files with TANDEM_MUTATE_REPORT=<name>, see stryker.config.mjs).
 *
 * Each survivor's lines are taken from the source the report holds, found in
 * today's file (exactly once, with as many lines before them as that takes, up
 * to 8; else the mutant is "unplaced"),
 * replaced by their mutated text, and the module's tests (or --tests) run with
 * vitest.mutate.config.ts; the file is restored after each, also when this
 * script is interrupted. Prints one line per mutant (killed / SURVIVED /
 * unplaced) and exits 1 when any survived. Not a score: the mutants Stryker
 * killed are not re-run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { MUTATION_MODULES } from './mutationModules.mjs';

const args = process.argv.slice(2);
const name = args[0];
if (!name || !MUTATION_MODULES[name]) {
  console.error(
    `usage: replaySurvivors.mjs <module> [--tests a,b] [--report name]; modules: ${Object.keys(MUTATION_MODULES).join(', ')}`,
  );
  process.exit(2);
}
const tests = args.includes('--tests') ? args[args.indexOf('--tests') + 1] : undefined;
const reportName = args.includes('--report') ? args[args.indexOf('--report') + 1] : name;
const report = JSON.parse(fs.readFileSync(`reports/mutation/${reportName}.json`, 'utf8'));

/**
 * The original lines of a mutant (with `context` lines before them) and the
 * same lines mutated; locations are 1-based lines and columns, end exclusive.
 */
export function mutatedLines(source, mutant, context = 0) {
  const lines = source.split('\n');
  const { start, end } = mutant.location;
  const first = Math.max(0, start.line - 1 - context);
  const before = lines.slice(first, start.line - 1).join('\n');
  const prefix = first < start.line - 1 ? before.length + 1 : 0;
  const original = lines.slice(first, end.line).join('\n');
  const startOffset = prefix + start.column - 1;
  const endOffset = original.length - (lines[end.line - 1].length - (end.column - 1));
  const mutated = original.slice(0, startOffset) + mutant.replacement + original.slice(endOffset);
  return { original, mutated };
}

/** The mutant's lines with as few lines before them as make them unique in today's file (up to 8), or null. */
function placeMutant(file, source, mutant) {
  const current = fs.readFileSync(file, 'utf8');
  for (let context = 0; context <= 8; context++) {
    const lines = mutatedLines(source, mutant, context);
    const at = current.indexOf(lines.original);
    if (at >= 0 && current.indexOf(lines.original, at + 1) < 0) return lines;
  }
  return null;
}

function replay(file, original, mutated) {
  const current = fs.readFileSync(file, 'utf8');
  const at = current.indexOf(original);
  if (at < 0 || current.indexOf(original, at + 1) >= 0) return 'unplaced';
  const restore = () => fs.writeFileSync(file, current);
  const interrupted = () => {
    restore();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    fs.writeFileSync(file, current.slice(0, at) + mutated + current.slice(at + original.length));
    const run = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.mutate.config.ts', '--bail=1'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: {
        ...process.env,
        TANDEM_MUTATE_MODULE: name,
        ...(tests ? { TANDEM_MUTATE_TESTS: tests } : {}),
        ...(MUTATION_MODULES[name].backends && !process.env.TANDEM_TEST_BACKENDS
          ? { TANDEM_TEST_BACKENDS: MUTATION_MODULES[name].backends }
          : {}),
      },
    });
    return run.status === 0 ? 'SURVIVED' : 'killed';
  } finally {
    restore();
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

let survived = 0;
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  for (const mutant of mutants) {
    if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
    const placed = placeMutant(file, source, mutant);
    const started = Date.now();
    const outcome = placed ? replay(file, placed.original, placed.mutated) : 'unplaced';
    if (outcome !== 'killed') survived++;
    const where = `${file}:${mutant.location.start.line}:${mutant.location.start.column}`;
    console.log(
      `${outcome} ${where} ${mutant.mutatorName}: ${mutant.replacement} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}
process.exit(survived === 0 ? 0 : 1);
