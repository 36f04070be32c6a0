/**
 * Loads any app's Convex functions folder for convex-test, with no TypeScript
 * loader at run time: the folder is bundled with esbuild, as Convex's own
 * bundler treats it (the same entry points, ESM, code splitting, the
 * `convex` export condition), into a cache folder, then imported. `convex`
 * itself stays external and resolves to the copy Tandem runs with, so the
 * folder's validators, builders and errors are the ones convex-test knows.
 *
 * Bundles are cached by a hash of the folder's files (and the esbuild and
 * loader versions): once per process in memory, and across processes on disk
 * (the OS temp folder), so an unchanged folder is bundled once. Every module
 * is imported at load, so the cache folder may be deleted whenever no Tandem
 * process is starting.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { GenericSchema, SchemaDefinition } from 'convex/server';
import { ConfigError } from '../core/errors.js';
import { findSchemaModule, listFunctionModules } from './functionModules.js';

/** Bump when the bundle's shape changes, so old cached bundles are not reused. */
const LOADER_VERSION = 1;
/** schema.ts is never a function module, so its bundle name cannot clash with one. */
const SCHEMA_ENTRY = 'schema';
/** Files outside the folder that the bundle read, with their hashes, to tell a stale bundle. */
const INPUTS_FILE = 'inputs.json';

export type ConvexModuleMap = Record<string, () => Promise<unknown>>;

export interface LoadedConvexDir {
  /** The folder (absolute). */
  dir: string;
  /** Hash of its content; names the bundle. */
  hash: string;
  schema: SchemaDefinition<GenericSchema, boolean>;
  /** Module map for convex-test: `./<module path>.js` → the bundled module. */
  modules: ConvexModuleMap;
}

const loaded = new Map<string, Promise<LoadedConvexDir>>();

/** Where bundles are kept: TANDEM_CONVEX_CACHE, else the OS temp folder. */
function cacheRoot(): string {
  return process.env.TANDEM_CONVEX_CACHE ?? path.join(os.tmpdir(), 'tandem-convex-bundles');
}

function sourceFiles(dir: string, base = dir): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.'))
        files.push(...sourceFiles(full, base));
    } else if (entry.isFile()) {
      files.push(path.relative(base, full).split(path.sep).join('/'));
    }
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function fileHash(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The bundle read these files outside the folder (shared code, packages): are they unchanged? */
function outsideInputsUnchanged(outDir: string): boolean {
  const file = path.join(outDir, INPUTS_FILE);
  if (!fs.existsSync(file)) return false;
  const inputs = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<[string, string]>;
  return inputs.every(([input, hash]) => fs.existsSync(input) && fileHash(input) === hash);
}

function contentHash(dir: string): string {
  const hash = crypto.createHash('sha256');
  hash.update(`tandem-convex-loader-v${LOADER_VERSION}\0esbuild-${esbuild.version}\0${dir}\0`);
  for (const rel of sourceFiles(dir)) {
    hash
      .update(rel)
      .update('\0')
      .update(fs.readFileSync(path.join(dir, rel)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** `convex` and `convex/*` resolve to the copy Tandem runs with, left as imports of its files. */
const convexExternal: esbuild.Plugin = {
  name: 'tandem-convex-external',
  setup(build) {
    build.onResolve({ filter: /^convex(\/.*)?$/ }, (args) => ({
      path: import.meta.resolve(args.path),
      external: true,
    }));
  },
};

const withoutExtension = (rel: string) => rel.replace(/\.[^./]+$/, '');

async function bundle(
  dir: string,
  modules: string[],
  schemaModule: string,
  outDir: string,
): Promise<void> {
  const entryPoints: Record<string, string> = { [SCHEMA_ENTRY]: path.join(dir, schemaModule) };
  for (const rel of modules) entryPoints[withoutExtension(rel)] = path.join(dir, rel);
  const staging = `${outDir}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  let result: esbuild.BuildResult<{ metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints,
      absWorkingDir: dir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['convex', 'module'],
      splitting: true,
      chunkNames: '_deps/[hash]',
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      plugins: [convexExternal],
      logLevel: 'silent',
      metafile: true,
      write: true,
    });
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    const messages = (error as { errors?: esbuild.Message[] }).errors ?? [];
    const detail = messages
      .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
      .join('; ');
    throw new ConfigError(dir, `the Convex folder does not bundle: ${detail || String(error)}`);
  }
  const outside = Object.keys(result.metafile.inputs)
    .map((input) => path.resolve(dir, input))
    .filter((input) => path.relative(dir, input).startsWith('..') && fs.existsSync(input))
    .sort()
    .map((input) => [input, fileHash(input)]);
  fs.writeFileSync(path.join(staging, INPUTS_FILE), JSON.stringify(outside));
  try {
    fs.renameSync(staging, outDir);
  } catch (error) {
    // Another process bundled the same content first: keep its copy.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(outDir)) throw error;
  }
}

async function load(dir: string): Promise<LoadedConvexDir> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ConfigError(dir, 'no such Convex functions folder');
  }
  const schemaModule = findSchemaModule(dir);
  if (!schemaModule) throw new ConfigError(dir, 'the Convex folder has no schema.ts or schema.js');
  const modules = listFunctionModules(dir);
  const hash = contentHash(dir);
  const outDir = path.join(cacheRoot(), hash);
  // A bundle is renamed into place whole, so one that exists is complete; it is replaced
  // only when code it read from outside the folder has changed since.
  if (fs.existsSync(outDir) && !outsideInputsUnchanged(outDir)) {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  if (!fs.existsSync(outDir)) {
    fs.mkdirSync(cacheRoot(), { recursive: true });
    await bundle(dir, modules, schemaModule, outDir);
  }
  const url = (entry: string) => pathToFileURL(path.join(outDir, `${entry}.mjs`)).href;
  const schemaModuleValue = (await import(url(SCHEMA_ENTRY))) as { default?: unknown };
  const schema = schemaModuleValue.default as SchemaDefinition<GenericSchema, boolean> | undefined;
  if (!schema || typeof schema !== 'object' || !('tables' in schema)) {
    throw new ConfigError(path.join(dir, schemaModule), 'must export default defineSchema({...})');
  }
  // Imported now, not on a function's first call: a module that throws at load fails here,
  // and a running process no longer needs the cache folder.
  const imported = await Promise.all(
    modules.map((rel) =>
      import(url(withoutExtension(rel))).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        throw new ConfigError(path.join(dir, rel), `fails to load: ${message}`);
      }),
    ),
  );
  const map: ConvexModuleMap = {
    // convex-test finds the folder's root by a `_generated` path; it never loads it.
    './_generated/server.js': () => Promise.resolve({}),
  };
  modules.forEach((rel, i) => {
    map[`./${withoutExtension(rel)}.js`] = () => Promise.resolve(imported[i]);
  });
  return { dir, hash, schema, modules: map };
}

/** The folder's schema and modules, bundled once per process (and per content on disk). */
export function loadConvexDir(convexDir: string): Promise<LoadedConvexDir> {
  const dir = path.resolve(convexDir);
  let pending = loaded.get(dir);
  if (!pending) {
    pending = load(dir);
    loaded.set(dir, pending);
    // A failed load is retried by the next caller (the folder may have been fixed).
    pending.catch(() => loaded.delete(dir));
  }
  return pending;
}

