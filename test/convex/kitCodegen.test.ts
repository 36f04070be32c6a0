/**
 * Codegen into an app's Convex folder: a second run writes nothing, `--check`
 * (staleConvexFiles) lists a hand-edited, missing, outdated or obsolete
 * generated file, and what is the app's (its schema.ts, a _generated/ written
 * by Convex's CLI, a file of its own where the kit goes) is never overwritten.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  renderConvexFiles,
  staleConvexFiles,
  writeConvexFiles,
} from '../../src/convex/codegen/convexFiles.js';
import { renderAppSchema } from '../../src/convex/codegen/renderSchema.js';
import { listFunctionModules } from '../../src/convex/functionModules.js';
import { loadConvexDir } from '../../src/convex/loadConvexDir.js';
import { ConfigError } from '../../src/core/errors.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { APP_NOTES, LEDGER, makeAppConvexDir } from './anyAppFixture.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

const run = promisify(execFile);

const codegen = async (dir: string, config: MirrorConfig = LEDGER) =>
  writeConvexFiles(await renderConvexFiles(dir, config));
const check = async (dir: string, config: MirrorConfig = LEDGER) =>
  staleConvexFiles(await renderConvexFiles(dir, config));
const read = (dir: string, rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');

describe('codegen --check on an app folder', () => {
  it('is clean after a write, and a second write writes nothing', async () => {
    const dir = makeAppConvexDir();
    expect(await check(dir)).toContain('tandem/tables.ts');
    expect((await codegen(dir)).length).toBeGreaterThan(10);
    const before = new Map(
      fs
        .readdirSync(dir, { recursive: true })
        .map((f) => [String(f), fs.statSync(path.join(dir, String(f))).mtimeMs]),
    );
    expect(await check(dir)).toEqual([]);
    expect(await codegen(dir)).toEqual([]);
    const after = new Map(
      fs
        .readdirSync(dir, { recursive: true })
        .map((f) => [String(f), fs.statSync(path.join(dir, String(f))).mtimeMs]),
    );
    expect(after).toEqual(before);
  });

  it('lists a hand-edited kit file and a missing table config; a write restores both', async () => {
    const dir = makeAppConvexDir();
    await codegen(dir);
    const original = read(dir, 'tandem/apply.ts');
    fs.writeFileSync(
      path.join(dir, 'tandem/apply.ts'),
      original.replace('version <= newest', 'version < newest'),
    );
    fs.rmSync(path.join(dir, 'tandem/tables.ts'));
    expect(await check(dir)).toEqual(['tandem/apply.ts', 'tandem/tables.ts']);
    expect(await codegen(dir)).toEqual(['tandem/apply.ts', 'tandem/tables.ts']);
    expect(read(dir, 'tandem/apply.ts')).toBe(original);
    expect(await check(dir)).toEqual([]);
  });

  it('lists the table config and the fragment when the mirror configuration changes', async () => {
    const dir = makeAppConvexDir();
    await codegen(dir);
    const [account, entry] = LEDGER.tables;
    const changed: MirrorConfig = {
      schema: LEDGER.schema,
      tables: [
        {
          ...account!,
          columns: [...account!.columns, { name: 'closed', type: 'bool', nullable: true }],
        },
        entry!,
      ],
    };
    expect(await check(dir, changed)).toEqual(['tandem/tables.ts', 'tandem/schemaFragment.ts']);
  });

  it('lists and removes a kit file Tandem wrote earlier but no longer produces', async () => {
    const dir = makeAppConvexDir();
    await codegen(dir);
    const stale = read(dir, 'tandem/lookup.ts');
    fs.writeFileSync(path.join(dir, 'tandem/oldHelper.ts'), stale);
    expect(await check(dir)).toEqual(['tandem/oldHelper.ts']);
    expect(await codegen(dir)).toEqual(['tandem/oldHelper.ts']);
    expect(fs.existsSync(path.join(dir, 'tandem/oldHelper.ts'))).toBe(false);
    expect(await check(dir)).toEqual([]);
  });

  it('refuses, writing nothing, when a file it did not write sits where the kit goes', async () => {
    const dir = makeAppConvexDir();
    await codegen(dir);
    fs.writeFileSync(
      path.join(dir, 'tandem/apply.ts'),
      '// edited\n' + read(dir, 'tandem/apply.ts').split('\n').slice(2).join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'tandem/mine.ts'), 'export const mine = 1;\n');
    const before = read(dir, 'tandem/apply.ts');
    const error = await renderConvexFiles(dir, LEDGER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `${path.join(dir, 'tandem/apply.ts')}: exists and was not written by Tandem; Tandem owns tandem.ts and tandem/ in the Convex folder: move the file elsewhere, then run codegen again`,
    );
    expect(read(dir, 'tandem/apply.ts')).toBe(before);
  });
});

describe('what codegen leaves to the app', () => {
  it('writes schema.ts (the fragment spread) only when the folder has none, and it loads', async () => {
    const dir = makeAppConvexDir({
      'notes.ts': APP_NOTES.replace(/ctx\.db\.insert\('notes', \{ text \}\)/, 'void text'),
    });
    expect(await codegen(dir)).toContain('schema.ts');
    expect(read(dir, 'schema.ts')).toBe(
      [
        "// Written by `tandem codegen` because this Convex folder had no schema.ts. It is the app's",
        "// file from now on: add the app's own tables next to Tandem's; Tandem never rewrites it.",
        "import { defineSchema } from 'convex/server';",
        "import { tandemTables } from './tandem/schemaFragment.js';",
        '',
        'export default defineSchema({',
        '  ...tandemTables,',
        '});',
        '',
      ].join('\n'),
    );
    expect(renderAppSchema()).toContain('...tandemTables');
    // The app edits it: Tandem never rewrites it, and --check stays clean.
    fs.writeFileSync(
      path.join(dir, 'schema.ts'),
      read(dir, 'schema.ts').replace('  ...tandemTables,', '  ...tandemTables,\n  // mine'),
    );
    expect(await check(dir)).toEqual([]);
    const { schema } = await loadConvexDir(dir);
    expect(Object.keys(schema.tables)).toEqual([
      'account',
      'entry',
      'tombstones',
      'tandem_changelog',
      'tandem_changelog_head',
    ]);
  });

  it("says so when the app's schema.ts does not use the fragment", async () => {
    const dir = makeAppConvexDir({
      'schema.ts':
        "import { defineSchema } from 'convex/server';\nexport default defineSchema({});\n",
    });
    const rendered = await renderConvexFiles(dir, LEDGER);
    expect(rendered.files.has('schema.ts')).toBe(false);
    expect(rendered.notes).toEqual([
      'schema.ts: does not use tandemTables; import it from "./tandem/schemaFragment.js" and spread it into defineSchema({ ...yourTables, ...tandemTables })',
    ]);
  });

  it("leaves a _generated/ written by Convex's CLI to that CLI", async () => {
    const dir = makeAppConvexDir();
    const convexWritten =
      '/* eslint-disable */\n/**\n * Generated `api` utility.\n * THIS CODE IS AUTOMATICALLY GENERATED.\n * To regenerate, run `npx convex dev`.\n */\n';
    fs.mkdirSync(path.join(dir, '_generated'));
    fs.writeFileSync(path.join(dir, '_generated/api.d.ts'), convexWritten);
    const rendered = await renderConvexFiles(dir, LEDGER);
    expect([...rendered.files.keys()].filter((f) => f.startsWith('_generated'))).toEqual([]);
    expect(rendered.notes).toEqual([
      "_generated/: left alone, written by Convex's CLI (_generated/api.d.ts); `npx convex dev` or `npx convex codegen` refreshes it",
    ]);
    writeConvexFiles(rendered);
    expect(read(dir, '_generated/api.d.ts')).toBe(convexWritten);
  });
});

describe('loading a Convex folder', () => {
  it('names the folder when it has no schema', async () => {
    const dir = makeAppConvexDir({ 'notes.ts': APP_NOTES });
    await expect(loadConvexDir(dir)).rejects.toThrow(
      `${dir}: the Convex folder has no schema.ts or schema.js`,
    );
  });

  it('names the file and line when the folder does not bundle', async () => {
    const dir = makeAppConvexDir({
      'schema.ts':
        "import { defineSchema } from 'convex/server';\nexport default defineSchema({});\n",
      'broken.ts': 'export const x = ;\n',
    });
    await expect(loadConvexDir(dir)).rejects.toThrow(
      /the Convex folder does not bundle: broken\.ts:1: Unexpected ";"/,
    );
  });
});

describe('loading a Convex folder whose module throws at load', () => {
  it('names the module', async () => {
    const dir = makeAppConvexDir({
      'schema.ts':
        "import { defineSchema } from 'convex/server';\nexport default defineSchema({});\n",
      'boom.ts': "export const x = 1;\nthrow new Error('boom at load');\n",
    });
    await expect(loadConvexDir(dir)).rejects.toThrow(
      `${path.join(dir, 'boom.ts')}: fails to load: boom at load`,
    );
  });
});

describe('the bundle cache', () => {
  /** Loads `dir` in a fresh process (as a new `tandem convex-local` would) and prints what greet.ts exports. */
  async function loadInNewProcess(dir: string, cache: string) {
    const loader = path.resolve(import.meta.dirname, '../../src/convex/loadConvexDir.ts');
    const script = path.join(path.dirname(dir), 'load.mts');
    fs.writeFileSync(
      script,
      `import { loadConvexDir } from ${JSON.stringify(loader)};\n` +
        `const { hash, modules } = await loadConvexDir(${JSON.stringify(dir)});\n` +
        `const greet = (await modules['./greet.js']()) as { word: string };\n` +
        `console.log(JSON.stringify({ hash, word: greet.word }));\n`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, TANDEM_CONVEX_CACHE: cache },
    });
    return JSON.parse(stdout) as { hash: string; word: string };
  }

  it('is reused across processes, and rebuilt when code outside the folder that it bundled changes', async () => {
    const dir = makeAppConvexDir({
      'schema.ts':
        "import { defineSchema } from 'convex/server';\nexport default defineSchema({});\n",
      'greet.ts': "export { word } from '../shared/word.js';\n",
    });
    const shared = path.join(path.dirname(dir), 'shared/word.ts');
    fs.mkdirSync(path.dirname(shared));
    fs.writeFileSync(shared, "export const word = 'one';\n");
    const cache = path.join(path.dirname(dir), 'cache');
    const first = await loadInNewProcess(dir, cache);
    expect(first.word).toBe('one');
    expect(fs.readdirSync(cache)).toEqual([first.hash]);
    const bundled = fs.statSync(path.join(cache, first.hash, 'greet.mjs')).mtimeMs;
    expect(await loadInNewProcess(dir, cache)).toEqual(first);
    expect(fs.statSync(path.join(cache, first.hash, 'greet.mjs')).mtimeMs).toBe(bundled);
    fs.writeFileSync(shared, "export const word = 'two';\n");
    expect(await loadInNewProcess(dir, cache)).toEqual({ hash: first.hash, word: 'two' });
  }, 60_000);
});

describe('the generated folder bundles for Convex', () => {
  /** As Convex's bundler does for its JS runtime: every module an entry point, platform browser (no Node APIs). */
  async function bundleLikeConvex(dir: string) {
    const result = await esbuild.build({
      entryPoints: listFunctionModules(dir).map((rel) => path.join(dir, rel)),
      absWorkingDir: dir,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['convex', 'module'],
      splitting: true,
      outdir: 'out',
      outbase: dir,
      external: ['convex', 'convex/*'],
      write: false,
      logLevel: 'silent',
    });
    return result.outputFiles
      .map((f) => path.relative(path.join(dir, 'out'), f.path))
      .filter((f) => !f.startsWith('chunk-'))
      .sort();
  }

  it('for a second app and for the story site, with tandem.ts and tandem/ side by side', async () => {
    const dir = makeAppConvexDir();
    await codegen(dir);
    expect(await bundleLikeConvex(dir)).toEqual([
      'notes.js',
      'tandem.js',
      ...[
        'apply',
        'canonical',
        'changeLog',
        'exportRows',
        'lookup',
        'parity',
        'ranges',
        'refs',
        'reverseSync',
        'schemaFragment',
        'sha256',
        'tables',
        'types',
      ].map((m) => `tandem/${m}.js`),
    ]);
    expect(await bundleLikeConvex(STORY_SITE_CONVEX_DIR)).toContain('checks/invariants.js');
  });
});
