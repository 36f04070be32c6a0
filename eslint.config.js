import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The CLI uses only the public API: src/index.ts and its siblings src/scan.ts
// and src/codegen.ts (the `tandem`, `tandem/scan` and `tandem/codegen` exports).
// The story site's data layer and HTTP API (src/app, src/api) are exempt for now:
// they are the first example application, about to move to examples/story-site/,
// and not part of the tool's API.
const publicApi = '(?!(index|scan|codegen)\\.js$|app/|api/)';
const cliImportRule = (up) => [
  'error',
  {
    patterns: [
      {
        regex: `^${up}${publicApi}`,
        message:
          'src/cli uses only the public API (src/index.ts, src/scan.ts, src/codegen.ts); export what it needs there.',
      },
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
      'convex/_generated/**',
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
    // The tool never depends on an application: no module of the tool imports the
    // story site (src/app, src/api, examples/). The CLI and the story site itself
    // are exempt until the story site moves to examples/story-site/.
    files: ['src/**/*.ts', 'convex-kit/**/*.ts'],
    ignores: ['src/cli/**', 'src/app/**', 'src/api/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(app|api)/|(^|/)examples/',
              message: 'tool code must not import an application (src/app, src/api, examples/)',
            },
          ],
        },
      ],
    },
  },
);
