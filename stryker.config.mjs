// Mutation testing of one module of the correctness core at a time
// (scripts/mutationModules.mjs); run it through `npm run mutate [-- <module>...]`,
// which sets TANDEM_MUTATE_MODULE. See docs/testing.md.
import fs from 'node:fs';
import { selectedModule } from './scripts/mutationModules.mjs';

const module = selectedModule();
// A run over part of a module (`--mutate <file>`) can keep its own report and
// sandbox: TANDEM_MUTATE_REPORT=<name> writes reports/mutation/<name>.{html,json},
// so runs of a module's files one at a time (or side by side) do not overwrite
// each other's reports.
const reportName = process.env.TANDEM_MUTATE_REPORT ?? module.name;

// The TypeScript checker compiles a program per mutant batch: one made of the
// module's files (and what they import) instead of all of src/ checks a mutant
// in a fraction of the time. Written here because it differs per module.
const tsconfigFile = `.mutate/tsconfig.${module.name}.json`;
fs.mkdirSync('.mutate', { recursive: true });
fs.writeFileSync(
  tsconfigFile,
  JSON.stringify(
    {
      extends: '../tsconfig.json',
      // The Convex folder's files use DOM types (as convex/tsconfig.json allows).
      compilerOptions: { lib: ['ES2023', 'DOM'] },
      include: module.mutate.map((pattern) => `../${pattern}`),
    },
    null,
    2,
  ),
);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: module.mutate,
  coverageAnalysis: 'perTest',
  // Two shared cores: one test process (TANDEM_MUTATE_CONCURRENCY to change it).
  concurrency: Number(process.env.TANDEM_MUTATE_CONCURRENCY ?? 1),
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${reportName}.html` },
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: `.stryker-tmp/${reportName}`,
  cleanTempDir: true,
  ignorePatterns: ['dist', '.tandem', 'reports', '.stryker-tmp', 'scratch'],
};
