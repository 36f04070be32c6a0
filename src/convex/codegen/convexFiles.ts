/**
 * What `tandem codegen` writes into an app's Convex folder, from a mirror
 * configuration:
 *
 *   tandem.ts, tandem/*.ts      the kit (convex-kit/), copied
 *   tandem/tables.ts            the run-time table config
 *   tandem/schemaFragment.ts    `tandemTables`, for the app's defineSchema
 *   schema.ts                   only when the folder has none: the fragment spread
 *   _generated/*                only when the folder has none, or Tandem wrote it
 *
 * Tandem owns `tandem.ts` and `tandem/`: a file there that Tandem did not
 * write is an error (nothing is written), and a kit file Tandem no longer
 * produces is removed. It never rewrites an existing `schema.ts`, and leaves a
 * `_generated/` written by Convex's CLI to that CLI (`npx convex dev`
 * regenerates it; the kit does not import it). Deterministic: the same inputs
 * and folder give byte-identical files, so CI can check them (`--check`).
 */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { ConfigError } from '../../core/errors.js';
import { validateMirrorConfig, type MirrorConfig } from '../../mapping/tableConfig.js';
import { findSchemaModule, listFunctionModules } from '../functionModules.js';
import { isTandemGenerated } from './notice.js';
import {
  renderApiDts,
  renderApiJs,
  renderDataModelDts,
  renderServerDts,
  renderServerJs,
} from './renderGenerated.js';
import { KIT_FOLDER, KIT_MODULE, renderKitFiles } from './renderKit.js';
import { renderMirrorTables } from './renderMirrorTables.js';
import {
  renderAppSchema,
  renderSchemaFragment,
  SCHEMA_FRAGMENT_EXPORT,
  SCHEMA_FRAGMENT_MODULE,
} from './renderSchema.js';
import { staleFiles, writeFiles, type FileSet } from './writeFiles.js';

export const MIRROR_TABLES_MODULE = 'tandem/tables.ts';
const GENERATED_DIR = '_generated';

export interface RenderedConvexFiles extends FileSet {
  /** The Convex folder (absolute); every path below is relative to it. */
  convexDir: string;
  files: Map<string, string>;
  obsolete: string[];
  /** Files Tandem left alone, and why. */
  notes: string[];
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

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Files under `dir`, as `/`-separated paths relative to `base`, sorted. */
function filesUnder(dir: string, base: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(full, base));
    else if (entry.isFile()) found.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return found.sort(compare);
}

function readIfExists(file: string): string | null {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

/** Kit paths on disk Tandem no longer writes; a file there Tandem did not write is refused. */
function kitFilesOnDisk(convexDir: string, produced: ReadonlyMap<string, string>): string[] {
  const onDisk = filesUnder(path.join(convexDir, KIT_FOLDER), convexDir);
  if (fs.existsSync(path.join(convexDir, KIT_MODULE))) onDisk.push(KIT_MODULE);
  const obsolete: string[] = [];
  for (const rel of onDisk) {
    if (!isTandemGenerated(fs.readFileSync(path.join(convexDir, rel), 'utf8'))) {
      throw new ConfigError(
        path.join(convexDir, rel),
        `exists and was not written by Tandem; Tandem owns ${KIT_MODULE} and ${KIT_FOLDER}/ in the Convex folder: move the file elsewhere, then run codegen again`,
      );
    }
    if (!produced.has(rel)) obsolete.push(rel);
  }
  return obsolete;
}

function schemaNotes(convexDir: string, schemaModule: string): string[] {
  const source = fs.readFileSync(path.join(convexDir, schemaModule), 'utf8');
  if (source.includes(SCHEMA_FRAGMENT_EXPORT)) return [];
  const fragment = `./${SCHEMA_FRAGMENT_MODULE.replace(/\.ts$/, '.js')}`;
  return [
    `${schemaModule}: does not use ${SCHEMA_FRAGMENT_EXPORT}; import it from "${fragment}" and spread it into defineSchema({ ...yourTables, ...${SCHEMA_FRAGMENT_EXPORT} })`,
  ];
}

/** Every file codegen would write into `convexDir` for `config`, and what it leaves alone. */
export async function renderConvexFiles(
  convexDir: string,
  config: MirrorConfig,
): Promise<RenderedConvexFiles> {
  validateMirrorConfig(config);
  const dir = path.resolve(convexDir);
  const files = new Map<string, string>(renderKitFiles());
  files.set(MIRROR_TABLES_MODULE, await format(renderMirrorTables(config)));
  files.set(SCHEMA_FRAGMENT_MODULE, await format(renderSchemaFragment(config)));
  const obsolete = kitFilesOnDisk(dir, files);
  const notes: string[] = [];

  const schemaModule = findSchemaModule(dir);
  if (schemaModule) notes.push(...schemaNotes(dir, schemaModule));
  else files.set('schema.ts', await format(renderAppSchema()));

  const appGenerated = filesUnder(path.join(dir, GENERATED_DIR), dir).filter(
    (rel) => !isTandemGenerated(readIfExists(path.join(dir, rel)) ?? ''),
  );
  if (appGenerated.length > 0) {
    notes.push(
      `${GENERATED_DIR}/: left alone, written by Convex's CLI (${appGenerated.join(', ')}); \`npx convex dev\` or \`npx convex codegen\` refreshes it`,
    );
  } else {
    const modules = listFunctionModules(dir, [...files.keys()]).filter(
      (rel) => !obsolete.includes(rel),
    );
    const generated: Array<[string, string]> = [
      ['api.d.ts', renderApiDts(modules)],
      ['api.js', renderApiJs()],
      ['server.d.ts', renderServerDts()],
      ['server.js', renderServerJs()],
      ['dataModel.d.ts', renderDataModelDts()],
    ];
    for (const [name, source] of generated)
      files.set(`${GENERATED_DIR}/${name}`, await format(source));
  }
  return { convexDir: dir, files, obsolete, notes };
}

/** Paths (relative to the Convex folder) a write would create, change or remove. */
export function staleConvexFiles(rendered: RenderedConvexFiles): string[] {
  return staleFiles(rendered.convexDir, rendered);
}

/** Writes what is stale, removes obsolete kit files; returns those paths. */
export function writeConvexFiles(rendered: RenderedConvexFiles): string[] {
  return writeFiles(rendered.convexDir, rendered);
}
