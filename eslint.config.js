import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The tool never depends on an application: no module of src/, convex-kit/ or
// bin/ imports anything under examples/ (an application reaches the tool through
// its config: invariant suites and the `app` plug-in, loaded at run time).
const noExamples = {
  regex: '(^|/)examples/',
  message: 'tool code must not import an example application (examples/); load it through the project config instead',
};
// The CLI uses only the public API: src/index.ts and its siblings src/scan.ts
// and src/codegen.ts (the `tandem`, `tandem/scan` and `tandem/codegen` exports).
const publicApi = '(?!(index|scan|codegen)\\.js$)';
const cliImportRule = (up) => [
  'error',
  {
    patterns: [
      {
        regex: `^${up}${publicApi}`,
        message:
          'src/cli uses only the public API (src/index.ts, src/scan.ts, src/codegen.ts); export what it needs there.',
      },
      noExamples,
    ],
  },
];

// From examples/<app>/{test,bench}/ plus `depth` folders, the repository root is
// depth + 3 levels up: a relative import that climbs that far into src/,
// convex-kit/, bin/, dist/ or test/ (but test/support/) is a tool file.
// Six levels of folders under test/ or bench/ (today: one).
const EXAMPLE_HARNESS_DEPTHS = 6;
function exampleHarnessBlocks() {
  return Array.from({ length: EXAMPLE_HARNESS_DEPTHS }, (_, depth) => {
    const root = `^(\\.\\./){${depth + 3}}`;
    const folders = '/*'.repeat(depth);
    return {
      files: [`examples/*/test${folders}/*.{ts,js,mjs}`, `examples/*/bench${folders}/*.{ts,js,mjs}`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `${root}((src|convex-kit|bin|dist)/|test/(?!support/))`,
                message:
                  "an example's tests import Tandem only through its public API ('tandem', 'tandem/scan', 'tandem/codegen', 'tandem/convex'), and of the tool's tests only test/support",
              },
            ],
          },
        ],
      },
    };
  });
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tandem/**',
      'scratch/**',
      'examples/*/convex/_generated/**',
      'test/fixtures/**',
      '.stryker-tmp/**',
      '.mutate/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Plain JavaScript run by node (the bin and the build script): TypeScript files get these from @types/node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // A focused test runs alone and hides the rest of the suite: never committed
    // (vitest's allowOnly: false fails the run too; this names the line).
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test', 'suite', 'bench'].map((object) => ({
          object,
          property: 'only',
          message: 'a focused test (.only) must not be committed',
        })),
      ],
    },
  },
  {
    files: ['src/cli/*.ts'],
    rules: { 'no-restricted-imports': cliImportRule('\\.\\./') },
  },
  {
    files: ['src/cli/*/**/*.ts'],
    rules: { 'no-restricted-imports': cliImportRule('\\.\\./\\.\\./') },
  },
  {
    // src/cli has the rule above, which includes this one (a later block would replace it, not add to it).
    files: ['src/**/*.ts', 'convex-kit/**/*.ts', 'bin/**/*.js', 'bin/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noExamples] }] },
  },
  // An example's tests and benchmarks, like its src/ (next block), reach Tandem
  // only through its package name. They may borrow the tool's test harness (test/support: test
  // databases on PGlite and PostgreSQL, fixtures), which is test code rather
  // than API, but nothing else of the repository. A relative path reaches the
  // repository root by a number of `../` that depends on the file's depth, so
  // there is one block per depth (an example's own src/ is fewer levels up).
  ...exampleHarnessBlocks(),
  {
    // An example is an application on the public API: it imports Tandem as a
    // package (`tandem`, `tandem/convex`, …), never the tool's files.
    files: ['examples/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|convex-kit|bin|dist|test)/',
              message: "an example imports Tandem only through its public API: 'tandem', 'tandem/convex', 'tandem/scan', 'tandem/codegen'",
            },
          ],
        },
      ],
    },
  },
);
