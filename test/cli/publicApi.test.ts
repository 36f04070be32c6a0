/**
 * The package as an application sees it: `tandem`, `tandem/scan`,
 * `tandem/codegen` and `tandem/convex` resolve through package.json `exports`
 * to the compiled build (dist/, made by the vitest global setup), with type
 * declarations beside each entry.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
};

/** Imports `specifier` by package name in a plain node process (no TypeScript loader). */
async function exportedNames(specifier: string): Promise<Record<string, string>> {
  const script = `const m = await import(${JSON.stringify(specifier)});
    console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
  });
  return JSON.parse(stdout) as Record<string, string>;
}

/** Every `.ts` file under `dir`, recursively. */
function typeScriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The values (not types) the examples' code and tests import from `tandem` and
 * its subpaths, by entry point: their only door to the tool (a lint rule keeps
 * them off its files), so each of these must be exported by the built package.
 */
function valuesImportedByExamples(): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  const examples = path.join(root, 'examples');
  for (const example of fs.readdirSync(examples)) {
    for (const folder of ['src', 'test', 'bench']) {
      const dir = path.join(examples, example, folder);
      if (!fs.existsSync(dir)) continue;
      for (const file of typeScriptFiles(dir)) {
        const text = fs.readFileSync(file, 'utf8');
        for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(tandem(?:\/[a-z]+)?)'/g)) {
          const names = wanted.get(match[2]!) ?? new Set<string>();
          for (const part of match[1]!.split(',')) {
            const name = part.trim().split(/\s+as\s+/)[0]!;
            if (name !== '' && !name.startsWith('type ')) names.add(name);
          }
          wanted.set(match[2]!, names);
        }
      }
    }
  }
  return wanted;
}

describe('the public API (package exports)', () => {
  it('declares the four entry points and package.json, each with declarations that exist', () => {
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      './scan',
      './codegen',
      './convex',
      './package.json',
    ]);
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      if (typeof target === 'string') throw new Error(`${subpath}: expected { types, import }`);
      expect(fs.existsSync(path.join(root, target.import)), target.import).toBe(true);
      expect(fs.existsSync(path.join(root, target.types)), target.types).toBe(true);
    }
  });

  it('`tandem` exports what an application needs to run the data path', async () => {
    const names = await exportedNames('tandem');
    const functions = [
      'loadConfig',
      'loadProjectConfig',
      'parseProjectConfig',
      'defineConfig',
      'discoverMirror',
      'selectTables',
      'loadInvariantSuites',
      'openDatabase',
      'migrate',
      'readCatalog',
      'buildPlan',
      'readPlan',
      'installCapture',
      'uninstallCapture',
      'captureStatus',
      'pausedTables',
      'mapRow',
      'mapChange',
      'backfill',
      'runParity',
      'runInvariants',
      'repairKeys',
      'openConvexTarget',
      'createLocalConvex',
      'startEmbeddedPostgres',
      'setReadStage',
      'currentAlerts',
      'listAlertHistory',
      'startAlerting',
      'prometheusRulesYaml',
      'rollbackReadStages',
      'listReadStages',
      'readStageHistory',
      'shadowReport',
      'decideRead',
      'routedReads',
      // The HTTP host and the application seam (examples/story-site is built on them).
      'createApiServer',
      'addRoute',
      'requireRole',
      'databaseReadiness',
      'loadApplication',
      'requireApplication',
    ];
    const classes = [
      'MirrorRunner',
      'Relay',
      'HttpConvexTarget',
      'EmbeddedConvexTarget',
      'RecordingConvexTarget',
      'TandemError',
      'InvalidInputError',
      'MappingError',
      'ReadFlags',
      'Reader',
      'ShadowRecorder',
      'ReadStageProvider',
      'AutoRollback',
      'AlertMonitor',
      'AlertEvaluator',
    ];
    for (const name of [...functions, ...classes]) expect(names[name], name).toBe('function');
  });

  it('loads the story site, an application on the public API, in a plain node process from its config', async () => {
    // Its modules import only `tandem` (resolved here through `exports` to dist/):
    // the plug-in and invariant suite the config names load with no TypeScript loader.
    const script = `const { loadProjectConfig, loadApplication, loadInvariantSuites } = await import('tandem');
      const project = await loadProjectConfig({ file: 'examples/story-site/tandem.config.json' });
      const app = await loadApplication(project);
      const suites = await loadInvariantSuites(project);
      console.log(JSON.stringify({ name: app.name, parts: Object.keys(app).sort(), planned: app.sample.plannedCounts(0.01).story, suites: suites.map((s) => [s.name, s.invariants.length]) }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({
      name: 'story-site',
      parts: ['createSchema', 'demoTraffic', 'http', 'name', 'sample', 'writeCutover'],
      planned: 20,
      suites: [['story-site', 6]],
    });
  });

  it('exports, built, every value the examples and their tests import from it', async () => {
    const wanted = valuesImportedByExamples();
    // The scan finds imports of both kinds: single-line and multi-line, renamed and not.
    for (const name of ['loadProjectConfig', 'ReverseSyncWorker', 'DEFAULT_TOOL_SCHEMA', 'trimScratchChangeLog'])
      expect(wanted.get('tandem')?.has(name), name).toBe(true);
    expect(wanted.get('tandem/scan')?.has('scanForTables')).toBe(true);
    const missing: string[] = [];
    for (const [specifier, names] of wanted) {
      const exported = await exportedNames(specifier);
      for (const name of names) if (exported[name] === undefined) missing.push(`${specifier}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('keeps the TypeScript compiler and prettier out of `tandem`', async () => {
    const script = `import { createRequire } from 'node:module';
      await import('tandem');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(cache.filter((f) => /node_modules\\/(typescript|prettier|libpg-query)\\//.test(f))));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
    });
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('`tandem/scan`, `tandem/codegen` and `tandem/convex` export the guard, codegen and Convex-side helpers', async () => {
    const [scan, codegen, convex] = await Promise.all([
      exportedNames('tandem/scan'),
      exportedNames('tandem/codegen'),
      exportedNames('tandem/convex'),
    ]);
    expect([scan.scanForTables, scan.buildInventory, scan.inventoryMarkdown]).toEqual([
      'function',
      'function',
      'function',
    ]);
    expect([codegen.codegenFromDatabase, codegen.renderCatalogFiles]).toEqual([
      'function',
      'function',
    ]);
    // The app's own Convex code gets the pure helpers; the mirror functions
    // themselves are copied into its folder by codegen, generated for its tables.
    expect([convex.canonicalRowHash, convex.canonicalValue, convex.sha256Hex]).toEqual([
      'function',
      'function',
      'function',
    ]);
    expect([convex.KEY_INDEX, convex.applyTransactions]).toEqual(['string', undefined]);
  });
});
