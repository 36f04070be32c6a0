// Mutation testing of one module of the correctness core at a time
// (scripts/mutationModules.mjs); run it through `npm run mutate [-- <module>...]`,
// which sets TANDEM_MUTATE_MODULE. See docs/testing.md.
import fs from 'node:fs';
import { selectedModule } from './scripts/mutationModules.mjs';

const module = selectedModule();

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
  htmlReporter: { fileName: `reports/mutation/${module.name}.html` },
  jsonReporter: { fileName: `reports/mutation/${module.name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: `.stryker-tmp/${module.name}`,
  cleanTempDir: true,
  ignorePatterns: ['dist', '.tandem', 'reports', '.stryker-tmp', 'scratch'],
};
