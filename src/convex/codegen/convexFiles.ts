/**
 * Writes (or checks) every file the project generates for Convex: the schema
 * and run-time table config from the mirror configuration, convex/_generated/*,
 * and the explicit module map the embedded target hands to convex-test.
 * Deterministic: the same inputs give byte-identical files, so CI can check
 * the committed files are fresh.
 */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { validateMirrorConfig, type MirrorConfig } from '../../mapping/tableConfig.js';
import { GENERATED_NOTICE } from './notice.js';
import {
  modulePathWithoutExtension,
  renderApiDts,
  renderApiJs,
  renderDataModelDts,
  renderServerDts,
  renderServerJs,
} from './renderGenerated.js';
import { renderMirrorTables } from './renderMirrorTables.js';
import { renderSchema } from './renderSchema.js';

const GENERATED_MODULES = ['mirror/tables.ts'];
export const MODULE_MAP_PATH = 'src/convex/convexModules.ts';

/**
 * Function modules of convex/ as the Convex bundler picks them: .ts/.js files
 * outside _generated, except schema.ts, dotfiles and names with several dots.
 */
export function listFunctionModules(convexDir: string, extra: readonly string[] = []): string[] {
  const found = new Set(extra);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(convexDir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (rel !== '_generated' && !entry.name.startsWith('.')) walk(full);
        continue;
      }
      if (!/\.(ts|js)$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
      if (
        entry.name.startsWith('.') ||
        entry.name.startsWith('#') ||
        rel === 'schema.ts' ||
        rel === 'schema.js'
      )
        continue;
      if ((entry.name.match(/\./g) ?? []).length > 1 || rel.includes(' ')) continue;
      found.add(rel);
    }
  };
  if (fs.existsSync(convexDir)) walk(convexDir);
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function renderModuleMap(modulePaths: readonly string[]): string {
  const entries = [
    `  './_generated/api.js': () => import('../../convex/_generated/api.js'),`,
    `  './_generated/server.js': () => import('../../convex/_generated/server.js'),`,
    ...modulePaths.map(
      (p) => `  './${p}': () => import('../../convex/${modulePathWithoutExtension(p)}.js'),`,
    ),
  ];
  return [
    GENERATED_NOTICE,
    "/** The convex/ modules for convex-test, which would otherwise look for them with vite's import.meta.glob. */",
    'export const convexModules: Record<string, () => Promise<unknown>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

/** Prettier with the project's settings, so generated files pass the formatter unchanged. */
export async function format(source: string): Promise<string> {
  return prettier.format(source, {
    parser: 'typescript',
    singleQuote: true,
    printWidth: 100,
    trailingComma: 'all',
  });
}

/** Every generated file, keyed by its path relative to the project root. */
export async function renderConvexFiles(
  rootDir: string,
  config: MirrorConfig,
): Promise<Map<string, string>> {
  validateMirrorConfig(config);
  const modules = listFunctionModules(path.join(rootDir, 'convex'), GENERATED_MODULES);
  const raw: Array<[string, string]> = [
    ['convex/schema.ts', renderSchema(config)],
    ['convex/mirror/tables.ts', renderMirrorTables(config)],
    ['convex/_generated/api.d.ts', renderApiDts(modules)],
    ['convex/_generated/api.js', renderApiJs()],
    ['convex/_generated/server.d.ts', renderServerDts()],
    ['convex/_generated/server.js', renderServerJs()],
    ['convex/_generated/dataModel.d.ts', renderDataModelDts()],
    [MODULE_MAP_PATH, renderModuleMap(modules)],
  ];
  const files = new Map<string, string>();
  for (const [file, source] of raw) files.set(file, await format(source));
  return files;
}

/** Paths (relative to rootDir) of rendered files that are missing or differ on disk. */
export function staleRenderedFiles(rootDir: string, files: ReadonlyMap<string, string>): string[] {
  const stale: string[] = [];
  for (const [file, content] of files) {
    const full = path.join(rootDir, file);
    if (!fs.existsSync(full) || fs.readFileSync(full, 'utf8') !== content) stale.push(file);
  }
  return stale;
}

/** Writes the rendered files that differ on disk; returns their paths. */
export function writeRenderedFiles(rootDir: string, files: ReadonlyMap<string, string>): string[] {
  const written = staleRenderedFiles(rootDir, files);
  for (const file of written) {
    const full = path.join(rootDir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, files.get(file)!);
  }
  return written;
}

/** Writes the generated files that differ; returns their paths. */
export async function writeConvexFiles(rootDir: string, config: MirrorConfig): Promise<string[]> {
  return writeRenderedFiles(rootDir, await renderConvexFiles(rootDir, config));
}

/** Paths of generated files that are missing or differ from what writeConvexFiles would write. */
export async function staleConvexFiles(rootDir: string, config: MirrorConfig): Promise<string[]> {
  return staleRenderedFiles(rootDir, await renderConvexFiles(rootDir, config));
}
