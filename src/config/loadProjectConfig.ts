/**
 * Finds and reads the project configuration: the file named by `--config`
 * (or `TANDEM_CONFIG`), else `tandem.config.{ts,mjs,json}` in the working
 * directory, else the defaults. A `.ts` file is compiled with esbuild (the
 * bundler Convex itself uses, already a dependency) to a temporary module
 * beside it, so relative imports in it resolve as written and no TypeScript
 * loader is needed at run time.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_PROJECT_CONFIG, parseProjectConfig, type ProjectConfig } from './projectConfig.js';

export const CONFIG_FILE_NAMES = ['tandem.config.ts', 'tandem.config.mjs', 'tandem.config.json'];

export interface LoadProjectConfigOptions {
  /** An explicit file (`--config`); relative to cwd. */
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The config file that applies, or null when there is none. */
export function findConfigFile(options: LoadProjectConfigOptions = {}): string | null {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? (options.env ?? process.env).TANDEM_CONFIG?.trim();
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) throw new ConfigError(explicit, 'config file not found');
    return file;
  }
  const present = CONFIG_FILE_NAMES.map((name) => path.join(cwd, name)).filter((f) =>
    fs.existsSync(f),
  );
  if (present.length > 1)
    throw new ConfigError(
      present.map((f) => path.basename(f)).join(', '),
      'more than one config file; keep one or pass --config',
    );
  return present[0] ?? null;
}

async function compileTypeScript(file: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    // Packages stay imports of the real modules (the `tandem` library among them).
    packages: 'external',
    // Named too: in this repository tsconfig's `paths` map `tandem` to its sources, which esbuild
    // would otherwise bundle, giving the module its own copies of the error classes, so the
    // host's `instanceof` checks missed an application's NotFoundError (answered 500, not 404).
    external: ['tandem', 'tandem/*'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The default export of a .ts, .mjs or .js module, compiling TypeScript with esbuild. */
export async function importModule(file: string): Promise<unknown> {
  if (!file.endsWith('.ts')) return ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  let code: string;
  try {
    code = await compileTypeScript(file);
  } catch (err) {
    throw new ConfigError(file, `does not compile: ${(err as Error).message.split('\n')[0]}`);
  }
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.mjs`,
  );
  fs.writeFileSync(temp, code);
  try {
    return ((await import(pathToFileURL(temp).href)) as { default?: unknown }).default;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

async function readConfigValue(file: string): Promise<unknown> {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(file, `not valid JSON (${(err as Error).message})`);
    }
  }
  if (!/\.(ts|mjs|js)$/.test(file))
    throw new ConfigError(file, 'a config file ends in .ts, .mjs or .json');
  let value: unknown;
  try {
    value = await importModule(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, `cannot be loaded: ${(err as Error).message}`);
  }
  if (value === undefined) throw new ConfigError(file, 'has no default export');
  return value;
}

/** Reads and validates the configuration that applies (the defaults when there is no file). */
export async function loadProjectConfig(
  options: LoadProjectConfigOptions = {},
): Promise<ProjectConfig> {
  const file = findConfigFile(options);
  if (!file) return DEFAULT_PROJECT_CONFIG;
  const value = await readConfigValue(file);
  const dir = path.dirname(file);
  return parseProjectConfig(value, file, (specifier) => path.resolve(dir, specifier));
}
