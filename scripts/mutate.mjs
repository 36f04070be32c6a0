#!/usr/bin/env node
/**
 * `npm run mutate [-- <module>...]`: Stryker over each named module of the
 * correctness core (all of them when none is named; see
 * scripts/mutationModules.mjs), one after the other, then one line per module:
 * mutation score, killed, survived, not covered, and every surviving mutant
 * with its place. Reports: reports/mutation/<module>.{html,json}.
 * Exits 1 when a Stryker run fails or a module scores below its `--break` (default: none).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { MUTATION_MODULES } from './mutationModules.mjs';

const args = process.argv.slice(2);
const breakAt = args.includes('--break') ? Number(args[args.indexOf('--break') + 1]) : null;
const names = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--break');
for (const name of names) {
  if (!MUTATION_MODULES[name]) {
    console.error(`unknown module ${name}; known: ${Object.keys(MUTATION_MODULES).join(', ')}`);
    process.exit(2);
  }
}
const selected = names.length > 0 ? names : Object.keys(MUTATION_MODULES);

/** Score and survivors of one module's Stryker JSON report (mutation-testing-report-schema). */
export function summarize(report) {
  const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0 };
  const survivors = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (m.status === 'Killed') counts.killed++;
      else if (m.status === 'Timeout') counts.timeout++;
      else if (m.status === 'Survived' || m.status === 'NoCoverage') {
        if (m.status === 'Survived') counts.survived++;
        else counts.noCoverage++;
        survivors.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no coverage)' : ''}: ${m.replacement ?? ''}`);
      } else counts.errors++;
    }
  }
  const detected = counts.killed + counts.timeout;
  const valid = detected + counts.survived + counts.noCoverage;
  const score = valid === 0 ? null : (100 * detected) / valid;
  return { ...counts, score, survivors };
}

let failed = false;
const lines = [];
for (const name of selected) {
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, TANDEM_MUTATE_MODULE: name },
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const file = `reports/mutation/${name}.json`;
  if (run.status !== 0 || !fs.existsSync(file)) {
    failed = true;
    lines.push(`${name}: Stryker failed (exit ${run.status}) after ${minutes} min`);
    continue;
  }
  const s = summarize(JSON.parse(fs.readFileSync(file, 'utf8')));
  const score = s.score === null ? 'n/a' : `${s.score.toFixed(1)} %`;
  lines.push(
    `${name}: ${score} (killed ${s.killed}, timeout ${s.timeout}, survived ${s.survived}, no coverage ${s.noCoverage}, compile errors ${s.errors}) in ${minutes} min`,
    ...s.survivors.map((line) => `  survived ${line}`),
  );
  if (breakAt !== null && (s.score === null || s.score < breakAt)) failed = true;
}
console.log(['', 'mutation scores', ...lines].join('\n'));
process.exit(failed ? 1 : 0);
