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
